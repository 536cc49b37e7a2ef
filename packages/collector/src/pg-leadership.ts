import pg from 'pg';
import type { Logger } from './logger.js';
import { LOCK_LEADER, LOCK_NAMESPACE } from './pg-migrations.js';
import { NOTIFICATIONS_CHANNEL } from './notify/pg-queue.js';

export interface PgLeadershipOptions {
  url: string;
  logger: Logger;
  /** How often a follower tries to take the lock, and a lost connection is reopened (default 3 s). */
  retryMs?: number;
  /** Called when this process becomes leader (true) or stops being it (false). */
  onChange: (leader: boolean) => void;
  /** Another collector queued notifications (LISTEN): the leader's dispatcher should look. */
  onNotification: () => void;
}

/**
 * One leader among the collectors on a PostgreSQL database, for the work that must happen
 * once: the state engine's sweeps (silence, flapping ends, reminders) and notification
 * delivery. The leader holds a session advisory lock on a connection of its own; when its
 * process dies or its connection breaks the server releases the lock, and a follower
 * trying every few seconds takes over. The same connection LISTENs for new notifications.
 *
 * @example
 * const leadership = new PgLeadership({ url, logger, onChange: (leader) => ..., onNotification: () => notify.wake() });
 * leadership.start();
 * await leadership.stop();
 */
export class PgLeadership {
  readonly #o: PgLeadershipOptions;
  #client: pg.Client | undefined;
  #leader = false;
  #timer: NodeJS.Timeout | undefined;
  #stopped = false;
  #busy = false;

  constructor(options: PgLeadershipOptions) {
    this.#o = options;
  }

  get leader(): boolean {
    return this.#leader;
  }

  start(): void {
    void this.#attempt();
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#timer);
    const client = this.#client;
    this.#client = undefined;
    this.#setLeader(false);
    // Closing the session releases the lock at once: a follower need not wait for a timeout.
    await client?.end().catch(() => {});
  }

  async #attempt(): Promise<void> {
    if (this.#stopped || this.#busy) return;
    this.#busy = true;
    try {
      const client = this.#client ?? (await this.#connect());
      if (!this.#leader) {
        const { rows } = await client.query<{ ok: boolean }>('SELECT pg_try_advisory_lock($1, $2) AS ok', [LOCK_NAMESPACE, LOCK_LEADER]);
        if (rows[0]?.ok) this.#setLeader(true);
      } else {
        // A cheap round trip: a dead connection shows here, not only when the server says so.
        await client.query('SELECT 1');
      }
    } catch (err: unknown) {
      this.#o.logger.warn({ err: err instanceof Error ? err.message : String(err) }, 'leader election: database connection failed; retrying');
      this.#drop();
    } finally {
      this.#busy = false;
      if (!this.#stopped) {
        clearTimeout(this.#timer);
        this.#timer = setTimeout(() => void this.#attempt(), this.#o.retryMs ?? 3_000);
        this.#timer.unref();
      }
    }
  }

  async #connect(): Promise<pg.Client> {
    const client = new pg.Client({ connectionString: this.#o.url, connectionTimeoutMillis: 5_000 });
    client.on('error', (err: Error) => {
      if (this.#client !== client) return;
      this.#o.logger.warn({ err: err.message }, 'leader election: connection lost');
      this.#drop();
    });
    client.on('notification', () => this.#o.onNotification());
    try {
      await client.connect();
      await client.query(`LISTEN ${NOTIFICATIONS_CHANNEL}`);
    } catch (err: unknown) {
      await client.end().catch(() => {});
      throw err;
    }
    this.#client = client;
    return client;
  }

  /** The connection is gone, and with it the lock: stop leading at once. */
  #drop(): void {
    const client = this.#client;
    this.#client = undefined;
    this.#setLeader(false);
    void client?.end().catch(() => {});
  }

  #setLeader(leader: boolean): void {
    if (this.#leader === leader) return;
    this.#leader = leader;
    this.#o.logger.info({ leader }, leader ? 'leader: this collector runs sweeps and delivers notifications' : 'no longer leader');
    this.#o.onChange(leader);
  }
}
