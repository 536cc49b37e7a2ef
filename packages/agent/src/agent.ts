import { join } from 'node:path';
import type { AgentConfig } from './config.js';
import { loadKeyFile } from './key-file.js';
import type { Logger } from './logger.js';
import { AgentMetrics } from './metrics.js';
import { Outbox, type NewResult } from './outbox.js';
import { Scheduler, type CheckListChange } from './scheduler.js';
import type { RemoteConfigChannel } from './remote-config.js';
import type { UplinkRelay } from './relay-link.js';
import { Uplink } from './uplink.js';
import { SOFTWARE } from './version.js';

/** How often the outbox budgets are enforced (and at once when a write goes over). */
const COMPACT_EVERY_MS = 5_000;
/**
 * How often a running agent notes in its outbox that it is alive, so `status` can tell an
 * agent that died without a clean stop (its last state still says "connected") from a
 * live one. Rare enough to cost nothing: one small write.
 */
export const ALIVE_EVERY_MS = 30_000;

/** What `Agent.reload` applied, and which changed settings wait for a restart. */
export interface AgentReload extends CheckListChange {
  /** Config keys that differ from the running ones but only take effect on restart. */
  restartNeeded: string[];
}

/** Settings bound to the identity, the outbox file or the open connection: read once at start. */
const RESTART_ONLY: Record<string, (c: AgentConfig) => unknown> = {
  'agent.name': (c) => c.name,
  'agent.data_dir': (c) => c.dataDir,
  'agent.key_file': (c) => c.keyFile,
  collector: (c) => ({ ...c.collector, key: c.collector.key.toString() }),
  uplink: (c) => c.uplink,
  'scheduler.max_concurrent': (c) => c.maxConcurrentChecks,
};

/** The outbox file inside an agent's data directory. */
export function outboxPath(config: Pick<AgentConfig, 'dataDir'>): string {
  return join(config.dataDir, 'outbox.db');
}

/**
 * A running agent: scheduler → outbox → uplink. Results made in the same turn of the
 * event loop are written in one transaction, then the uplink is told.
 *
 * @example
 * const agent = new Agent(loadAgentConfig('agent.yaml'), createLogger('outpost-agent'));
 * agent.start();
 * process.on('SIGTERM', () => agent.stop());
 */
export class Agent {
  readonly #outbox: Outbox;
  readonly #scheduler: Scheduler;
  readonly #uplink: Uplink;
  readonly #log: Logger;
  readonly #insecure: boolean;
  #config: AgentConfig;
  #typeOf: Map<string, string>;
  #stopping = false;
  readonly #metrics: AgentMetrics;
  #pending: NewResult[] = [];
  #flushScheduled = false;
  #compactTimer: NodeJS.Timeout | undefined;
  #lastCompactAt = 0;
  #aliveAt = 0;

  constructor(config: AgentConfig, logger: Logger, options: { remoteConfig?: RemoteConfigChannel; relay?: UplinkRelay } = {}) {
    this.#log = logger;
    this.#insecure = config.collector.insecure;
    this.#config = config;
    const keyPair = loadKeyFile(config.keyFile);
    this.#outbox = Outbox.open(outboxPath(config));
    this.#metrics = new AgentMetrics({ outbox: () => this.#outbox.depth(), connected: () => this.#uplink.state === 'connected' });
    this.#uplink = new Uplink({
      config, keyPair, outbox: this.#outbox, logger, software: SOFTWARE, metrics: this.#metrics,
      ...(options.remoteConfig ? { remoteConfig: options.remoteConfig } : {}),
      ...(options.relay ? { relay: options.relay } : {}),
    });
    this.#typeOf = checkTypes(config);
    this.#scheduler = new Scheduler({
      checks: config.checks,
      maxConcurrent: config.maxConcurrentChecks,
      logger,
      onResult: (result) => {
        this.#metrics.checkRun(this.#typeOf.get(result.checkId) ?? 'unknown', result.status, result.durationUs / 1e6);
        this.#enqueue(result);
      },
    });
  }

  /** Counters and outbox figures for `--metrics`; readable until stop(). */
  get metrics(): AgentMetrics {
    return this.#metrics;
  }

  /** Results waiting in the outbox, sent but not yet acknowledged included. */
  get backlog(): number {
    return this.#outbox.depth().count;
  }

  start(): void {
    if (this.#insecure) {
      this.#log.warn('INSECURE: collector.insecure is set; results travel unencrypted over ws:// and anyone on the path can read them');
    }
    this.#uplink.start();
    this.#scheduler.start();
    this.#markAlive();
    this.#compactTimer = setInterval(() => {
      this.#compact();
      this.#markAlive();
    }, COMPACT_EVERY_MS);
    this.#log.info({ depth: this.#outbox.depth().count }, 'agent started');
  }

  /**
   * Apply a re-read config file (SIGHUP) without touching the uplink: the check list
   * (with `defaults`) and the outbox budgets change now; results of removed checks that
   * are already in the outbox are still uploaded. Identity, collector and uplink settings
   * are listed in `restartNeeded` and keep their running values.
   */
  reload(next: AgentConfig): AgentReload {
    const restartNeeded = Object.entries(RESTART_ONLY)
      .filter(([, pick]) => JSON.stringify(pick(next)) !== JSON.stringify(pick(this.#config)))
      .map(([key]) => key);
    if (this.#stopping) return { added: [], removed: [], changed: [], restartNeeded };
    // Types of removed checks stay known, for the metrics of runs still in flight.
    this.#typeOf = new Map([...this.#typeOf, ...checkTypes(next)]);
    const change = this.#scheduler.reload(next.checks);
    this.#config = { ...this.#config, checks: next.checks, outbox: next.outbox };
    return { ...change, restartNeeded };
  }

  async stop(): Promise<void> {
    this.#stopping = true;
    clearInterval(this.#compactTimer);
    await this.#scheduler.stop();
    this.#flush();
    await this.#uplink.stop();
    this.#outbox.close();
    this.#log.info('agent stopped');
  }

  #markAlive(): void {
    const now = Date.now();
    if (now - this.#aliveAt < ALIVE_EVERY_MS) return;
    this.#aliveAt = now;
    try {
      this.#outbox.setMeta('alive_at', String(now));
    } catch (err: unknown) {
      this.#log.warn({ err: err instanceof Error ? err.message : String(err) }, 'could not note the agent alive in the outbox');
    }
  }

  /** Keep the outbox within its budgets; what goes is reported as a gap record. */
  #compact(): void {
    this.#lastCompactAt = Date.now();
    try {
      const gap = this.#outbox.compact(this.#config.outbox, this.#uplink.protectedThroughId, this.#uplink.protectedIds);
      if (gap) this.#log.warn({ dropped: gap.count, reason: gap.reason, perCheck: gap.perCheck }, 'outbox over budget: repeated results dropped, gap recorded');
    } catch (err: unknown) {
      this.#log.error({ err: err instanceof Error ? err.message : String(err) }, 'outbox compaction failed');
    }
  }

  #enqueue(result: NewResult): void {
    this.#pending.push(result);
    if (!this.#flushScheduled) {
      this.#flushScheduled = true;
      setImmediate(() => this.#flush());
    }
  }

  #flush(): void {
    this.#flushScheduled = false;
    if (this.#pending.length === 0) return;
    const batch = this.#pending;
    this.#pending = [];
    this.#metrics.resultsProduced(batch);
    try {
      this.#outbox.append(batch);
    } catch (err: unknown) {
      // Disk full or an I/O error: the results keep their ids and become a gap record, so
      // the centre learns exactly what is missing.
      const gap = this.#outbox.recordLost(batch, 'write_failed');
      this.#log.error({ err: err instanceof Error ? err.message : String(err), lost: batch.length, gap }, 'outbox write failed; recorded as a gap');
      this.#compact();
    }
    // Over budget: compact now, but scan at most once a second when only state changes are left.
    if (this.#outbox.depth().bytes > this.#config.outbox.maxBytes && Date.now() - this.#lastCompactAt >= 1_000) this.#compact();
    this.#uplink.notify();
  }
}

function checkTypes(config: AgentConfig): Map<string, string> {
  return new Map(config.checks.map((check) => [check.id, check.type.type]));
}
