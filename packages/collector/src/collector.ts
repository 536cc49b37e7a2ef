import { resolveLimits, type ProtocolLimits } from '@outpost/protocol';
import { Counters } from './counters.js';
import { dataFiles, loadIdentity } from './data-dir.js';
import { ApiServer } from './http-api.js';
import type { Logger } from './logger.js';
import { CollectorServer } from './server.js';
import { SqliteStore } from './sqlite-store.js';
import type { CollectorStore } from './store.js';

export interface CollectorOptions {
  dataDir: string;
  listen: { host: string; port: number };
  http: { host: string; port: number };
  insecure?: boolean;
  limits?: Partial<ProtocolLimits>;
  maxUnauthenticated?: number;
  maxUnauthenticatedPerAddress?: number;
  /** New connections per second per source address; bursts of four times that pass. */
  connectRatePerAddress?: number;
  logger: Logger;
}

/**
 * A running collector: the agent listener on 41121, the store and the HTTP API.
 *
 * @example
 * const collector = new Collector({ dataDir, listen: { host: '0.0.0.0', port: 41121 }, http: { host: '127.0.0.1', port: 8080 }, logger });
 * const { agentUrl, apiUrl } = await collector.start();
 * await collector.stop();
 */
export class Collector {
  readonly counters = new Counters();
  readonly #options: CollectorOptions;
  readonly #store: CollectorStore;
  readonly #server: CollectorServer;
  readonly #api: ApiServer;

  constructor(options: CollectorOptions) {
    this.#options = options;
    const identity = loadIdentity(options.dataDir);
    this.#store = SqliteStore.open(dataFiles(options.dataDir).database);
    this.#server = new CollectorServer({
      host: options.listen.host,
      port: options.listen.port,
      insecure: options.insecure ?? false,
      identity,
      store: this.#store,
      counters: this.counters,
      logger: options.logger,
      limits: resolveLimits(options.limits),
      maxUnauthenticated: options.maxUnauthenticated ?? 256,
      maxUnauthenticatedPerAddress: options.maxUnauthenticatedPerAddress ?? 32,
      maxQueuedMessagesPerSession: 64,
      maxConnectsPerSecondPerAddress: options.connectRatePerAddress ?? 50,
      connectBurstPerAddress: 4 * (options.connectRatePerAddress ?? 50),
    });
    this.#api = new ApiServer({
      host: options.http.host,
      port: options.http.port,
      store: this.#store,
      counters: this.counters,
      logger: options.logger,
      connectedAgents: () => this.#server.connectedAgents(),
      startedAt: Date.now(),
    });
  }

  async start(): Promise<{ agentUrl: string; apiUrl: string }> {
    const { url: agentUrl } = await this.#server.start();
    const { url: apiUrl } = await this.#api.start();
    if (this.#options.insecure) {
      this.#options.logger.warn('INSECURE: agents connect over plain ws://; results cross the network unencrypted');
    }
    this.#options.logger.info({ agentUrl, apiUrl }, 'collector listening');
    return { agentUrl, apiUrl };
  }

  async stop(): Promise<void> {
    await this.#server.stop();
    await this.#api.stop();
    await this.#store.close();
    this.#options.logger.info('collector stopped');
  }
}
