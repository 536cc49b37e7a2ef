// The collector's SQLite schema, one entry per version. Append; never edit a shipped entry.

import { NOTIFICATIONS_SCHEMA } from './notify/queue.js';

/** Versioned migrations; `PRAGMA user_version` records how many have run. */
export const MIGRATIONS: readonly string[] = [
  `
  CREATE TABLE agents (
    id               INTEGER PRIMARY KEY,
    name             TEXT    NOT NULL UNIQUE,
    public_key       BLOB    NOT NULL UNIQUE,
    status           TEXT    NOT NULL CHECK (status IN ('pending', 'active', 'revoked')),
    created_at       INTEGER NOT NULL,
    approved_at      INTEGER,
    last_seen_at     INTEGER,
    remote_address   TEXT,
    software         TEXT,
    config_hash      TEXT,
    clock_offset_ms  INTEGER,
    backlog          INTEGER,
    oldest_unsent_ms INTEGER,
    results_stored   INTEGER NOT NULL DEFAULT 0,
    duplicates       INTEGER NOT NULL DEFAULT 0,
    last_batch_seq   INTEGER NOT NULL DEFAULT 0,
    max_result_id    INTEGER NOT NULL DEFAULT 0
  );
  CREATE TABLE enrollment_tokens (
    token_hash  TEXT PRIMARY KEY,
    agent_name  TEXT,
    created_at  INTEGER NOT NULL,
    expires_at  INTEGER NOT NULL,
    used_at     INTEGER,
    used_by     INTEGER REFERENCES agents (id)
  ) WITHOUT ROWID;
  CREATE TABLE results (
    agent_id    INTEGER NOT NULL,
    result_id   INTEGER NOT NULL,
    check_id    TEXT    NOT NULL,
    started_at  INTEGER NOT NULL,
    duration_us INTEGER NOT NULL,
    status      INTEGER NOT NULL,
    observation TEXT    NOT NULL,
    message     TEXT    NOT NULL,
    metrics     TEXT,
    transcript  BLOB,
    config_hash TEXT    NOT NULL,
    batch_seq   INTEGER NOT NULL,
    received_at INTEGER NOT NULL,
    PRIMARY KEY (agent_id, result_id)
  ) WITHOUT ROWID;
  CREATE INDEX results_by_check_time ON results (agent_id, check_id, started_at);
  CREATE INDEX results_by_time ON results (started_at);
  CREATE TABLE gaps (
    agent_id       INTEGER NOT NULL,
    from_result_id INTEGER NOT NULL,
    to_result_id   INTEGER NOT NULL,
    count          INTEGER NOT NULL,
    reason         TEXT    NOT NULL,
    first_ms       INTEGER NOT NULL,
    last_ms        INTEGER NOT NULL,
    per_check      TEXT    NOT NULL,
    received_at    INTEGER NOT NULL,
    PRIMARY KEY (agent_id, from_result_id, to_result_id)
  ) WITHOUT ROWID;
  CREATE TABLE check_state (
    agent_id    INTEGER NOT NULL,
    check_id    TEXT    NOT NULL,
    status      INTEGER NOT NULL,
    observation TEXT    NOT NULL,
    message     TEXT    NOT NULL,
    started_at  INTEGER NOT NULL,
    result_id   INTEGER NOT NULL,
    since       INTEGER NOT NULL,
    PRIMARY KEY (agent_id, check_id)
  ) WITHOUT ROWID;
  `,
  // 2: agent key rotation keeps the previous key, so a rotation interrupted on the agent's
  // side can be completed when it comes back with the old key.
  `ALTER TABLE agents ADD COLUMN previous_public_key BLOB;`,
  // 3: what the agent says it had to drop, from its heartbeats.
  `ALTER TABLE agents ADD COLUMN dropped INTEGER;`,
  // 4: the state engine. Liveness per agent; per check the newest result's figures, last
  // OK and flapping; events on the check timeline (status changes, by check time) and on
  // agents (silent, back, summaries).
  `
  ALTER TABLE agents ADD COLUMN heartbeat_interval_ms INTEGER;
  ALTER TABLE agents ADD COLUMN silent_since INTEGER;
  ALTER TABLE check_state ADD COLUMN duration_us INTEGER NOT NULL DEFAULT 0;
  ALTER TABLE check_state ADD COLUMN metrics TEXT;
  ALTER TABLE check_state ADD COLUMN last_ok INTEGER;
  ALTER TABLE check_state ADD COLUMN flapping INTEGER NOT NULL DEFAULT 0;
  CREATE TABLE events (
    id          INTEGER PRIMARY KEY,
    kind        TEXT    NOT NULL,
    agent_id    INTEGER NOT NULL,
    check_id    TEXT,
    at          INTEGER NOT NULL,
    result_id   INTEGER,
    from_status INTEGER,
    to_status   INTEGER,
    backfilled  INTEGER NOT NULL DEFAULT 0,
    suppressed  TEXT,
    message     TEXT    NOT NULL,
    created_at  INTEGER NOT NULL
  );
  CREATE INDEX events_by_check ON events (agent_id, check_id, at, result_id);
  CREATE INDEX events_by_time ON events (at, id);
  `,
  // 5: the durable notification queue (its SQL lives with the queue; frozen once shipped).
  NOTIFICATIONS_SCHEMA,
  // 6: remote config. Every version pushed to an agent, signed; what the agent says it runs.
  `
  CREATE TABLE agent_configs (
    agent_id   INTEGER NOT NULL,
    version    INTEGER NOT NULL,
    config     BLOB    NOT NULL,
    signature  BLOB    NOT NULL,
    created_at INTEGER NOT NULL,
    PRIMARY KEY (agent_id, version)
  ) WITHOUT ROWID;
  ALTER TABLE agents ADD COLUMN config_version INTEGER;
  ALTER TABLE agents ADD COLUMN config_error TEXT;
  `,
  // 7: relays. The path an agent's relayed traffic takes (JSON list of relay names), and a
  // relay's own figures: agents it serves and its forwarding backlog.
  `
  ALTER TABLE agents ADD COLUMN relay_path TEXT;
  ALTER TABLE agents ADD COLUMN relay_agents INTEGER;
  ALTER TABLE agents ADD COLUMN relay_backlog INTEGER;
  `,
  // 8: the segmentation matrix. Each cell's current colour and evidence, every colour it
  // took, and the unexpected services already reported (each host:port once).
  `
  CREATE TABLE segmentation_cells (
    from_segment TEXT    NOT NULL,
    to_target    TEXT    NOT NULL,
    colour       TEXT    NOT NULL,
    since        INTEGER NOT NULL,
    evaluated_at INTEGER NOT NULL,
    evidence     TEXT    NOT NULL,
    PRIMARY KEY (from_segment, to_target)
  ) WITHOUT ROWID;
  CREATE TABLE segmentation_history (
    id           INTEGER PRIMARY KEY,
    from_segment TEXT    NOT NULL,
    to_target    TEXT    NOT NULL,
    at           INTEGER NOT NULL,
    colour       TEXT    NOT NULL,
    evidence     TEXT    NOT NULL
  );
  CREATE INDEX segmentation_history_by_cell ON segmentation_history (from_segment, to_target, at);
  CREATE TABLE unexpected_services (
    host     TEXT    NOT NULL,
    port     INTEGER NOT NULL,
    first_at INTEGER NOT NULL,
    PRIMARY KEY (host, port)
  ) WITHOUT ROWID;
  `,
  // 9: check ids interned. Each result named its check with the full id text, twice (row
  // and per-check index): the index entry is now a small integer, which makes ingest about
  // 1.3-1.5x faster (bench/README.md) and the file smaller. A check key is never reused or
  // deleted, so a running collector may cache it.
  `
  CREATE TABLE checks (
    id       INTEGER PRIMARY KEY,
    agent_id INTEGER NOT NULL,
    check_id TEXT    NOT NULL,
    UNIQUE (agent_id, check_id)
  );
  INSERT INTO checks (agent_id, check_id) SELECT DISTINCT agent_id, check_id FROM results ORDER BY agent_id, check_id;
  CREATE TABLE results_keyed (
    agent_id    INTEGER NOT NULL,
    result_id   INTEGER NOT NULL,
    check_key   INTEGER NOT NULL,
    started_at  INTEGER NOT NULL,
    duration_us INTEGER NOT NULL,
    status      INTEGER NOT NULL,
    observation TEXT    NOT NULL,
    message     TEXT    NOT NULL,
    metrics     TEXT,
    transcript  BLOB,
    config_hash TEXT    NOT NULL,
    batch_seq   INTEGER NOT NULL,
    received_at INTEGER NOT NULL,
    PRIMARY KEY (agent_id, result_id)
  ) WITHOUT ROWID;
  INSERT INTO results_keyed
    SELECT r.agent_id, r.result_id, c.id, r.started_at, r.duration_us, r.status, r.observation, r.message, r.metrics,
           r.transcript, r.config_hash, r.batch_seq, r.received_at
      FROM results r JOIN checks c ON c.agent_id = r.agent_id AND c.check_id = r.check_id
     ORDER BY r.agent_id, r.result_id;
  DROP TABLE results;
  ALTER TABLE results_keyed RENAME TO results;
  CREATE INDEX results_by_check_time ON results (check_key, started_at, result_id);
  CREATE INDEX results_by_time ON results (started_at);
  `,
  // 10: agents back from silence whose outage summary is still to be sent. Kept here, not
  // only in memory, so a restart while the backlog drains does not lose the summary. The
  // summary counts results from results_at_back (the agent's counter when it came back).
  `
  CREATE TABLE agent_returns (
    agent_id        INTEGER PRIMARY KEY,
    silent_since    INTEGER NOT NULL,
    last_heard_at   INTEGER NOT NULL,
    back_at         INTEGER NOT NULL,
    results_at_back INTEGER NOT NULL
  );
  `,
  // 11: a check's interval as its results show it, and the check config of its newest
  // result, so the views can tell a check that stopped reporting (stale) from one that runs.
  `
  ALTER TABLE check_state ADD COLUMN every_ms INTEGER;
  ALTER TABLE check_state ADD COLUMN gap_ms INTEGER;
  ALTER TABLE check_state ADD COLUMN config_hash TEXT;
  `,
  // 12: when an agent waiting for approval (or revoked) last tried to connect, so the
  // operator can tell a pending agent that is still knocking from one long gone.
  `
  ALTER TABLE agents ADD COLUMN last_refused_at INTEGER;
  `,
  // 13: when a check's newest result reached the collector, so staleness is judged on the
  // collector's clock (an agent behind a relay has no measured clock offset).
  `
  ALTER TABLE check_state ADD COLUMN reported_at INTEGER;
  `,
  // 14: when an agent's current connection began: a check is not stale before it had time
  // to run on it (an agent back after an outage, or restarted, runs its checks anew).
  `
  ALTER TABLE agents ADD COLUMN connected_at INTEGER;
  `,
];
