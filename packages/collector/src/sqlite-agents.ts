import { Status } from '@outpost/protocol';
import type Database from 'better-sqlite3';
import { EVENT_COLUMNS, toAgent, toEvent, type AgentRow, type EventRow } from './store-rows.js';
import type { AgentConfigRecord, AgentRecord, AgentReturnRecord, AgentReturnSummary, AgentStatus, EnrollOutcome, EventRecord } from './store.js';

/** An agent_returns row as AgentReturnRecord (the same list in pg-agents.ts). */
const RETURN_COLUMNS = `r.agent_id AS "agentId", a.name AS agent, r.silent_since AS "silentSince", r.last_heard_at AS "lastHeardAt",
  r.back_at AS "backAt", r.results_at_back AS "resultsAtBack"`;

/**
 * The agents table in SQLite: enrollment (tokens, pending, approval), keys and their
 * rotation, what Hello and heartbeats report, relay paths, remote config versions, and
 * silence and return (agent_returns: a return waiting for its outage summary).
 * The SqliteStore hands these calls through; each is one statement or one transaction.
 * Transactions that read and then write begin IMMEDIATE: the running collector and the
 * operator's commands share the file, and a deferred one that another process wrote under
 * between its read and its write fails at once (SQLITE_BUSY_SNAPSHOT, no busy wait).
 *
 * @example
 * const agents = new SqliteAgents(db);
 * await agents.setAgentStatus('lab-1', 'active', Date.now());
 */
export class SqliteAgents {
  readonly #db: Database.Database;

  constructor(db: Database.Database) {
    this.#db = db;
  }

  async findAgentByKey(publicKey: Uint8Array): Promise<AgentRecord | undefined> {
    const row = this.#db.prepare('SELECT * FROM agents WHERE public_key = ?').get(Buffer.from(publicKey)) as AgentRow | undefined;
    return row && toAgent(row);
  }

  async findAgentByName(name: string): Promise<AgentRecord | undefined> {
    const row = this.#db.prepare('SELECT * FROM agents WHERE name = ?').get(name) as AgentRow | undefined;
    return row && toAgent(row);
  }

  async findAgentByPreviousKey(publicKey: Uint8Array): Promise<AgentRecord | undefined> {
    const row = this.#db.prepare('SELECT * FROM agents WHERE previous_public_key = ?').get(Buffer.from(publicKey)) as AgentRow | undefined;
    return row && toAgent(row);
  }

  async rotateAgentKey(agentId: number, newKey: Uint8Array): Promise<'rotated' | 'key_in_use'> {
    return this.#db.transaction((): 'rotated' | 'key_in_use' => {
      const holder = this.#db.prepare('SELECT id FROM agents WHERE public_key = ?').get(Buffer.from(newKey)) as { id: number } | undefined;
      if (holder) return holder.id === agentId ? 'rotated' : 'key_in_use';
      this.#db.prepare('UPDATE agents SET previous_public_key = public_key, public_key = ? WHERE id = ?').run(Buffer.from(newKey), agentId);
      return 'rotated';
    }).immediate();
  }

  async listAgents(): Promise<AgentRecord[]> {
    return (this.#db.prepare('SELECT * FROM agents ORDER BY name').all() as AgentRow[]).map(toAgent);
  }

  async createPendingAgent(name: string, publicKey: Uint8Array, at: number, maxPending: number): Promise<'created' | 'name_taken' | 'limit'> {
    return this.#db.transaction((): 'created' | 'name_taken' | 'limit' => {
      const { n } = this.#db.prepare("SELECT count(*) AS n FROM agents WHERE status = 'pending'").get() as { n: number };
      if (n >= maxPending) return 'limit';
      const info = this.#db
        .prepare("INSERT OR IGNORE INTO agents (name, public_key, status, created_at) VALUES (?, ?, 'pending', ?)")
        .run(name, Buffer.from(publicKey), at);
      return info.changes === 1 ? 'created' : 'name_taken';
    }).immediate();
  }

  async setAgentStatus(name: string, status: AgentStatus, at: number): Promise<boolean> {
    const approved = status === 'active' ? at : null;
    const info = this.#db
      .prepare('UPDATE agents SET status = ?, approved_at = coalesce(?, approved_at) WHERE name = ?')
      .run(status, approved, name);
    return info.changes === 1;
  }

  async createToken(tokenHash: string, agentName: string | null, expiresAt: number, at: number): Promise<void> {
    this.#db
      .prepare('INSERT INTO enrollment_tokens (token_hash, agent_name, created_at, expires_at) VALUES (?, ?, ?, ?)')
      .run(tokenHash, agentName, at, expiresAt);
  }

  async enrollWithToken(tokenHash: string, name: string, publicKey: Uint8Array, at: number): Promise<EnrollOutcome> {
    return this.#db.transaction((): EnrollOutcome => {
      const taken = this.#db.prepare('SELECT public_key, status FROM agents WHERE name = ?').get(name) as
        | { public_key: Buffer; status: AgentStatus }
        | undefined;
      if (taken && taken.status !== 'pending' && !Buffer.from(publicKey).equals(taken.public_key)) return 'name_taken';
      const used = this.#db
        .prepare(
          `UPDATE enrollment_tokens SET used_at = ? WHERE token_hash = ? AND used_at IS NULL AND expires_at > ?
             AND (agent_name IS NULL OR agent_name = ?)`,
        )
        .run(at, tokenHash, at, name);
      if (used.changes !== 1) return 'bad_token';
      this.#db
        .prepare(
          `INSERT INTO agents (name, public_key, status, created_at, approved_at) VALUES (?, ?, 'active', ?, ?)
           ON CONFLICT (name) DO UPDATE SET public_key = excluded.public_key, status = 'active', approved_at = excluded.approved_at`,
        )
        .run(name, Buffer.from(publicKey), at, at);
      const { id } = this.#db.prepare('SELECT id FROM agents WHERE name = ?').get(name) as { id: number };
      this.#db.prepare('UPDATE enrollment_tokens SET used_by = ? WHERE token_hash = ?').run(id, tokenHash);
      return 'enrolled';
    }).immediate();
  }

  async recordHello(
    agentId: number,
    hello: {
      software: string; configHash: string; configVersion: number; clockOffsetMs: number; remoteAddress: string; heartbeatIntervalMs: number; at: number;
    },
  ): Promise<void> {
    this.#db
      .prepare(
        // The backlog it had before is history: unknown until its first heartbeat on this connection.
        `UPDATE agents SET software = ?, config_hash = ?, config_version = ?, clock_offset_ms = ?, remote_address = ?, last_seen_at = ?,
           heartbeat_interval_ms = coalesce(?, heartbeat_interval_ms), backlog = NULL, oldest_unsent_ms = NULL, connected_at = ? WHERE id = ?`,
      )
      .run(hello.software, hello.configHash, hello.configVersion, hello.clockOffsetMs, hello.remoteAddress, hello.at, hello.heartbeatIntervalMs || null, hello.at, agentId);
  }

  async recordRefusedHello(publicKey: Uint8Array, remoteAddress: string, at: number): Promise<void> {
    this.#db.prepare("UPDATE agents SET last_refused_at = ?, remote_address = ? WHERE public_key = ? AND status <> 'active'").run(at, remoteAddress, Buffer.from(publicKey));
  }

  async recordRelayPath(agentId: number, path: readonly string[] | null, at: number): Promise<void> {
    this.#db
      .prepare('UPDATE agents SET relay_path = ?, last_seen_at = max(coalesce(last_seen_at, 0), ?) WHERE id = ?')
      .run(path ? JSON.stringify(path) : null, at, agentId);
  }

  async recordRelayHealth(agentId: number, health: { agents: number; backlog: number }): Promise<void> {
    this.#db.prepare('UPDATE agents SET relay_agents = ?, relay_backlog = ? WHERE id = ?').run(health.agents, health.backlog, agentId);
  }

  async recordHeartbeat(
    agentId: number,
    heartbeat: { backlog: number; oldestUnsentMs: number; dropped: number; configHash: string; configVersion: number; configError: string; at: number },
  ): Promise<void> {
    // An agent that does not report its config (older software) leaves what its Hello said.
    this.#db
      .prepare(
        `UPDATE agents SET backlog = ?, oldest_unsent_ms = ?, dropped = ?, last_seen_at = ?,
           config_hash = coalesce(nullif(?, ''), config_hash), config_version = CASE WHEN ? = '' THEN config_version ELSE ? END,
           config_error = CASE WHEN ? = '' THEN config_error ELSE nullif(?, '') END
         WHERE id = ?`,
      )
      .run(
        heartbeat.backlog, heartbeat.oldestUnsentMs || null, heartbeat.dropped, heartbeat.at,
        heartbeat.configHash, heartbeat.configHash, heartbeat.configVersion, heartbeat.configHash, heartbeat.configError, agentId,
      );
  }

  async putAgentConfig(agentId: number, config: Uint8Array, sign: (version: number) => Uint8Array, at: number): Promise<number> {
    return this.#db.transaction((): number => {
      const { v } = this.#db.prepare('SELECT coalesce(max(version), 0) AS v FROM agent_configs WHERE agent_id = ?').get(agentId) as { v: number };
      const version = v + 1;
      this.#db
        .prepare('INSERT INTO agent_configs (agent_id, version, config, signature, created_at) VALUES (?, ?, ?, ?, ?)')
        .run(agentId, version, Buffer.from(config), Buffer.from(sign(version)), at);
      return version;
    }).immediate();
  }

  async setAgentSilence(agentId: number, since: number | null): Promise<boolean> {
    if (since === null) return this.#db.prepare('UPDATE agents SET silent_since = NULL WHERE id = ? AND silent_since IS NOT NULL').run(agentId).changes === 1;
    return this.#db.transaction((): boolean => {
      if (this.#db.prepare('UPDATE agents SET silent_since = ? WHERE id = ? AND silent_since IS NULL').run(since, agentId).changes !== 1) return false;
      this.#db.prepare('DELETE FROM agent_returns WHERE agent_id = ?').run(agentId);
      return true;
    }).immediate();
  }

  async beginAgentReturn(agentId: number, lastHeardAt: number, backAt: number): Promise<AgentReturnRecord | undefined> {
    return this.#db.transaction((): AgentReturnRecord | undefined => {
      const agent = this.#db.prepare('SELECT name, silent_since, results_stored FROM agents WHERE id = ? AND silent_since IS NOT NULL').get(agentId) as
        | { name: string; silent_since: number; results_stored: number }
        | undefined;
      if (!agent) return undefined;
      this.#db.prepare('UPDATE agents SET silent_since = NULL WHERE id = ?').run(agentId);
      this.#db
        .prepare('INSERT OR REPLACE INTO agent_returns (agent_id, silent_since, last_heard_at, back_at, results_at_back) VALUES (?, ?, ?, ?, ?)')
        .run(agentId, agent.silent_since, lastHeardAt, backAt, agent.results_stored);
      return { agentId, agent: agent.name, silentSince: agent.silent_since, lastHeardAt, backAt, resultsAtBack: agent.results_stored };
    }).immediate();
  }

  async listAgentReturns(agentId?: number): Promise<AgentReturnRecord[]> {
    return this.#db
      .prepare(`SELECT ${RETURN_COLUMNS} FROM agent_returns r JOIN agents a ON a.id = r.agent_id WHERE (? IS NULL OR r.agent_id = ?) ORDER BY r.back_at, r.agent_id`)
      .all(agentId ?? null, agentId ?? null) as AgentReturnRecord[];
  }

  async finishAgentReturn(agentId: number, at: number, compose: (summary: AgentReturnSummary) => string): Promise<EventRecord | undefined> {
    return this.#db.transaction((): EventRecord | undefined => {
      const summary = this.#db
        .prepare(
          `SELECT ${RETURN_COLUMNS}, a.results_stored - r.results_at_back AS results,
                  (SELECT count(*) FROM events e WHERE e.agent_id = r.agent_id AND e.kind = 'check' AND e.backfilled = 1
                      AND e.from_status IS NOT NULL AND e.to_status <> ? AND e.created_at >= r.back_at) AS incidents
             FROM agent_returns r JOIN agents a ON a.id = r.agent_id WHERE r.agent_id = ?`,
        )
        .get(Status.OK, agentId) as AgentReturnSummary | undefined;
      if (!summary) return undefined;
      this.#db.prepare('DELETE FROM agent_returns WHERE agent_id = ?').run(agentId);
      const { lastInsertRowid } = this.#db
        .prepare("INSERT INTO events (kind, agent_id, check_id, at, message, created_at) VALUES ('summary', ?, NULL, ?, ?, ?)")
        .run(agentId, at, compose(summary), at);
      return toEvent(this.#db.prepare(`SELECT ${EVENT_COLUMNS} FROM events e JOIN agents a ON a.id = e.agent_id WHERE e.id = ?`).get(lastInsertRowid) as EventRow);
    }).immediate();
  }

  async latestAgentConfig(agentId: number): Promise<AgentConfigRecord | undefined> {
    const row = this.#db
      .prepare('SELECT version, config, signature, created_at AS createdAt FROM agent_configs WHERE agent_id = ? ORDER BY version DESC LIMIT 1')
      .get(agentId) as { version: number; config: Buffer; signature: Buffer; createdAt: number } | undefined;
    return row && { version: row.version, config: new Uint8Array(row.config), signature: new Uint8Array(row.signature), createdAt: row.createdAt };
  }
}
