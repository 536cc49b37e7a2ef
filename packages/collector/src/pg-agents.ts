import { Status } from '@outpost/protocol';
import type pg from 'pg';
import { inTransaction, queryAll, queryOne } from './pg-queries.js';
import { EVENT_COLUMNS, toAgent, toEvent, type AgentRow, type EventRow } from './store-rows.js';
import type { AgentConfigRecord, AgentRecord, AgentReturnRecord, AgentReturnSummary, AgentStatus, EnrollOutcome, EventRecord } from './store.js';

/** An agent_returns row as AgentReturnRecord (the same list in sqlite-agents.ts). */
const RETURN_COLUMNS = `r.agent_id AS "agentId", a.name AS agent, r.silent_since AS "silentSince", r.last_heard_at AS "lastHeardAt",
  r.back_at AS "backAt", r.results_at_back AS "resultsAtBack"`;

/**
 * The agents table in PostgreSQL: enrollment (tokens, pending, approval), keys and their
 * rotation, what Hello and heartbeats report, relay paths, remote config versions, and
 * silence and return (agent_returns: a return waiting for its outage summary). The
 * PgStore hands these calls through. Where several collectors could race (pending count,
 * enrollment, config versions), a transaction locks the table or the agent's row.
 *
 * @example
 * const agents = new PgAgents(pool);
 * await agents.setAgentStatus('lab-1', 'active', Date.now());
 */
export class PgAgents {
  readonly #pool: pg.Pool;

  constructor(pool: pg.Pool) {
    this.#pool = pool;
  }

  async findAgentByKey(publicKey: Uint8Array): Promise<AgentRecord | undefined> {
    const row = await queryOne<AgentRow>(this.#pool, 'SELECT * FROM agents WHERE public_key = $1', [Buffer.from(publicKey)]);
    return row && toAgent(row);
  }

  async findAgentByName(name: string): Promise<AgentRecord | undefined> {
    const row = await queryOne<AgentRow>(this.#pool, 'SELECT * FROM agents WHERE name = $1', [name]);
    return row && toAgent(row);
  }

  async findAgentByPreviousKey(publicKey: Uint8Array): Promise<AgentRecord | undefined> {
    const row = await queryOne<AgentRow>(this.#pool, 'SELECT * FROM agents WHERE previous_public_key = $1', [Buffer.from(publicKey)]);
    return row && toAgent(row);
  }

  async rotateAgentKey(agentId: number, newKey: Uint8Array): Promise<'rotated' | 'key_in_use'> {
    return inTransaction(this.#pool, async (c) => {
      const holder = (await c.query<{ id: number }>('SELECT id FROM agents WHERE public_key = $1', [Buffer.from(newKey)])).rows[0];
      if (holder) return holder.id === agentId ? 'rotated' : 'key_in_use';
      await c.query('UPDATE agents SET previous_public_key = public_key, public_key = $1 WHERE id = $2', [Buffer.from(newKey), agentId]);
      return 'rotated';
    });
  }

  async listAgents(): Promise<AgentRecord[]> {
    return (await queryAll<AgentRow>(this.#pool, 'SELECT * FROM agents ORDER BY name')).map(toAgent);
  }

  async createPendingAgent(name: string, publicKey: Uint8Array, at: number, maxPending: number): Promise<'created' | 'name_taken' | 'limit'> {
    return inTransaction(this.#pool, async (c) => {
      // Serialise the count-then-insert across collectors, as SQLite's single writer does.
      await c.query('LOCK TABLE agents IN SHARE ROW EXCLUSIVE MODE');
      const { n } = (await c.query<{ n: number }>("SELECT count(*) AS n FROM agents WHERE status = 'pending'")).rows[0]!;
      if (n >= maxPending) return 'limit';
      const info = await c.query("INSERT INTO agents (name, public_key, status, created_at) VALUES ($1, $2, 'pending', $3) ON CONFLICT DO NOTHING", [name, Buffer.from(publicKey), at]);
      return info.rowCount === 1 ? 'created' : 'name_taken';
    });
  }

  async setAgentStatus(name: string, status: AgentStatus, at: number): Promise<boolean> {
    const approved = status === 'active' ? at : null;
    const info = await this.#pool.query('UPDATE agents SET status = $1, approved_at = coalesce($2, approved_at) WHERE name = $3', [status, approved, name]);
    return info.rowCount === 1;
  }

  async createToken(tokenHash: string, agentName: string | null, expiresAt: number, at: number): Promise<void> {
    await this.#pool.query('INSERT INTO enrollment_tokens (token_hash, agent_name, created_at, expires_at) VALUES ($1, $2, $3, $4)', [tokenHash, agentName, at, expiresAt]);
  }

  async enrollWithToken(tokenHash: string, name: string, publicKey: Uint8Array, at: number): Promise<EnrollOutcome> {
    const key = Buffer.from(publicKey);
    return inTransaction(this.#pool, async (c): Promise<EnrollOutcome> => {
      const taken = (await c.query<{ public_key: Buffer; status: AgentStatus }>('SELECT public_key, status FROM agents WHERE name = $1 FOR UPDATE', [name])).rows[0];
      if (taken && taken.status !== 'pending' && !key.equals(taken.public_key)) return 'name_taken';
      const used = await c.query(
        `UPDATE enrollment_tokens SET used_at = $1 WHERE token_hash = $2 AND used_at IS NULL AND expires_at > $1
           AND (agent_name IS NULL OR agent_name = $3)`,
        [at, tokenHash, name],
      );
      if (used.rowCount !== 1) return 'bad_token';
      const { id } = (
        await c.query<{ id: number }>(
          `INSERT INTO agents (name, public_key, status, created_at, approved_at) VALUES ($1, $2, 'active', $3, $3)
           ON CONFLICT (name) DO UPDATE SET public_key = excluded.public_key, status = 'active', approved_at = excluded.approved_at
           RETURNING id`,
          [name, key, at],
        )
      ).rows[0]!;
      await c.query('UPDATE enrollment_tokens SET used_by = $1 WHERE token_hash = $2', [id, tokenHash]);
      return 'enrolled';
    });
  }

  async recordHello(
    agentId: number,
    hello: {
      software: string; configHash: string; configVersion: number; clockOffsetMs: number; remoteAddress: string; heartbeatIntervalMs: number; at: number;
    },
  ): Promise<void> {
    await this.#pool.query(
      // The backlog it had before is history: unknown until its first heartbeat on this connection.
      `UPDATE agents SET software = $1, config_hash = $2, config_version = $3, clock_offset_ms = $4, remote_address = $5, last_seen_at = $6,
         heartbeat_interval_ms = coalesce($7, heartbeat_interval_ms), backlog = NULL, oldest_unsent_ms = NULL, connected_at = $6 WHERE id = $8`,
      [hello.software, hello.configHash, hello.configVersion, hello.clockOffsetMs, hello.remoteAddress, hello.at, hello.heartbeatIntervalMs || null, agentId],
    );
  }

  async recordRefusedHello(publicKey: Uint8Array, remoteAddress: string, at: number): Promise<void> {
    await this.#pool.query("UPDATE agents SET last_refused_at = $1, remote_address = $2 WHERE public_key = $3 AND status <> 'active'", [at, remoteAddress, Buffer.from(publicKey)]);
  }

  async recordHeartbeat(
    agentId: number,
    heartbeat: { backlog: number; oldestUnsentMs: number; dropped: number; configHash: string; configVersion: number; configError: string; at: number },
  ): Promise<void> {
    // An agent that does not report its config (older software) leaves what its Hello said.
    await this.#pool.query(
      `UPDATE agents SET backlog = $1, oldest_unsent_ms = $2, dropped = $3, last_seen_at = $4,
         config_hash = coalesce(nullif($5, ''), config_hash), config_version = CASE WHEN $5 = '' THEN config_version ELSE $6 END,
         config_error = CASE WHEN $5 = '' THEN config_error ELSE nullif($7, '') END
       WHERE id = $8`,
      [heartbeat.backlog, heartbeat.oldestUnsentMs || null, heartbeat.dropped, heartbeat.at, heartbeat.configHash, heartbeat.configVersion, heartbeat.configError, agentId],
    );
  }

  async recordRelayPath(agentId: number, path: readonly string[] | null, at: number): Promise<void> {
    await this.#pool.query('UPDATE agents SET relay_path = $1, last_seen_at = greatest(coalesce(last_seen_at, 0), $2) WHERE id = $3', [
      path ? JSON.stringify(path) : null, at, agentId,
    ]);
  }

  async recordRelayHealth(agentId: number, health: { agents: number; backlog: number }): Promise<void> {
    await this.#pool.query('UPDATE agents SET relay_agents = $1, relay_backlog = $2 WHERE id = $3', [health.agents, health.backlog, agentId]);
  }

  async putAgentConfig(agentId: number, config: Uint8Array, sign: (version: number) => Uint8Array, at: number): Promise<number> {
    return inTransaction(this.#pool, async (c) => {
      // Two collectors pushing a config for one agent at once take turns on its row.
      await c.query('SELECT id FROM agents WHERE id = $1 FOR UPDATE', [agentId]);
      const { v } = (await c.query<{ v: number }>('SELECT coalesce(max(version), 0) AS v FROM agent_configs WHERE agent_id = $1', [agentId])).rows[0]!;
      const version = v + 1;
      await c.query('INSERT INTO agent_configs (agent_id, version, config, signature, created_at) VALUES ($1, $2, $3, $4, $5)', [
        agentId, version, Buffer.from(config), Buffer.from(sign(version)), at,
      ]);
      return version;
    });
  }

  async setAgentSilence(agentId: number, since: number | null): Promise<boolean> {
    if (since === null) {
      return (await this.#pool.query('UPDATE agents SET silent_since = NULL WHERE id = $1 AND silent_since IS NOT NULL', [agentId])).rowCount === 1;
    }
    // One statement: the return goes only with the silence that ended it.
    const { rows } = await this.#pool.query<{ n: number }>(
      `WITH silenced AS (UPDATE agents SET silent_since = $1 WHERE id = $2 AND silent_since IS NULL RETURNING id),
            forgotten AS (DELETE FROM agent_returns WHERE agent_id IN (SELECT id FROM silenced))
       SELECT count(*)::int AS n FROM silenced`,
      [since, agentId],
    );
    return rows[0]!.n === 1;
  }

  async beginAgentReturn(agentId: number, lastHeardAt: number, backAt: number): Promise<AgentReturnRecord | undefined> {
    return inTransaction(this.#pool, async (c) => {
      // The row lock: two collectors seeing the agent back at once, one takes the return.
      const agent = (
        await c.query<{ name: string; silent_since: number; results_stored: number }>(
          'SELECT name, silent_since, results_stored FROM agents WHERE id = $1 AND silent_since IS NOT NULL FOR UPDATE',
          [agentId],
        )
      ).rows[0];
      if (!agent) return undefined;
      await c.query('UPDATE agents SET silent_since = NULL WHERE id = $1', [agentId]);
      await c.query(
        `INSERT INTO agent_returns (agent_id, silent_since, last_heard_at, back_at, results_at_back) VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (agent_id) DO UPDATE SET silent_since = excluded.silent_since, last_heard_at = excluded.last_heard_at,
           back_at = excluded.back_at, results_at_back = excluded.results_at_back`,
        [agentId, agent.silent_since, lastHeardAt, backAt, agent.results_stored],
      );
      return { agentId, agent: agent.name, silentSince: agent.silent_since, lastHeardAt, backAt, resultsAtBack: agent.results_stored };
    });
  }

  async listAgentReturns(agentId?: number): Promise<AgentReturnRecord[]> {
    return queryAll<AgentReturnRecord>(
      this.#pool,
      `SELECT ${RETURN_COLUMNS} FROM agent_returns r JOIN agents a ON a.id = r.agent_id WHERE ($1::bigint IS NULL OR r.agent_id = $1) ORDER BY r.back_at, r.agent_id`,
      [agentId ?? null],
    );
  }

  async finishAgentReturn(agentId: number, at: number, compose: (summary: AgentReturnSummary) => string): Promise<EventRecord | undefined> {
    return inTransaction(this.#pool, async (c) => {
      // DELETE takes the return: a second collector finishing it at the same time waits, then finds nothing.
      const taken = (
        await c.query<AgentReturnRecord & { results: number }>(
          `DELETE FROM agent_returns r USING agents a WHERE r.agent_id = $1 AND a.id = r.agent_id
           RETURNING ${RETURN_COLUMNS}, a.results_stored - r.results_at_back AS results`,
          [agentId],
        )
      ).rows[0];
      if (!taken) return undefined;
      const { incidents } = (
        await c.query<{ incidents: number }>(
          `SELECT count(*)::int AS incidents FROM events WHERE agent_id = $1 AND kind = 'check' AND backfilled = 1
             AND from_status IS NOT NULL AND to_status <> $2 AND created_at >= $3`,
          [agentId, Status.OK, taken.backAt],
        )
      ).rows[0]!;
      const { id } = (
        await c.query<{ id: number }>("INSERT INTO events (kind, agent_id, check_id, at, message, created_at) VALUES ('summary', $1, NULL, $2, $3, $2) RETURNING id", [
          agentId, at, compose({ ...taken, incidents }),
        ])
      ).rows[0]!;
      return toEvent((await c.query<EventRow>(`SELECT ${EVENT_COLUMNS} FROM events e JOIN agents a ON a.id = e.agent_id WHERE e.id = $1`, [id])).rows[0]!);
    });
  }

  async latestAgentConfig(agentId: number): Promise<AgentConfigRecord | undefined> {
    const row = await queryOne<{ version: number; config: Buffer; signature: Buffer; createdAt: number }>(
      this.#pool,
      'SELECT version, config, signature, created_at AS "createdAt" FROM agent_configs WHERE agent_id = $1 ORDER BY version DESC LIMIT 1',
      [agentId],
    );
    return row && { version: row.version, config: new Uint8Array(row.config), signature: new Uint8Array(row.signature), createdAt: row.createdAt };
  }
}
