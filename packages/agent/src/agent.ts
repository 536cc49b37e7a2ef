import { join } from 'node:path';
import type { AgentConfig } from './config.js';
import { loadKeyFile } from './key-file.js';
import type { Logger } from './logger.js';
import { Outbox, type NewResult } from './outbox.js';
import { Scheduler } from './scheduler.js';
import { Uplink } from './uplink.js';
import { SOFTWARE } from './version.js';

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
  #pending: NewResult[] = [];
  #flushScheduled = false;

  constructor(config: AgentConfig, logger: Logger) {
    this.#log = logger;
    this.#insecure = config.collector.insecure;
    const keyPair = loadKeyFile(config.keyFile);
    this.#outbox = Outbox.open(outboxPath(config));
    this.#uplink = new Uplink({ config, keyPair, outbox: this.#outbox, logger, software: SOFTWARE });
    this.#scheduler = new Scheduler({
      checks: config.checks,
      maxConcurrent: config.maxConcurrentChecks,
      logger,
      onResult: (result) => this.#enqueue(result),
    });
  }

  start(): void {
    if (this.#insecure) {
      this.#log.warn('INSECURE: collector.insecure is set; results travel unencrypted over ws:// and anyone on the path can read them');
    }
    this.#uplink.start();
    this.#scheduler.start();
    this.#log.info({ depth: this.#outbox.depth().count }, 'agent started');
  }

  async stop(): Promise<void> {
    await this.#scheduler.stop();
    this.#flush();
    await this.#uplink.stop();
    this.#outbox.close();
    this.#log.info('agent stopped');
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
    try {
      this.#outbox.append(batch);
    } catch (err: unknown) {
      // Not yet a gap record (that needs the outbox budgets); at least it is never silent.
      this.#log.error({ err: err instanceof Error ? err.message : String(err), lost: batch.length }, 'outbox write failed; results lost');
      return;
    }
    this.#uplink.notify();
  }
}
