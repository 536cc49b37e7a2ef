import { resolveLimits, type ProtocolLimits } from '@outpost/protocol';
import { defaultCollectorConfig, type CollectorConfig } from './collector-config.js';
import { createConsoleHandler } from './console-assets.js';
import { Counters } from './counters.js';
import { dataFiles, loadApiToken, loadIdentity } from './data-dir.js';
import { ApiServer } from './http-api.js';
import { LiveFeed } from './live-feed.js';
import type { Logger } from './logger.js';
import { NotificationService } from './notify/service.js';
import { CollectorServer } from './server.js';
import { SqliteStore } from './sqlite-store.js';
import { StateEngine } from './state-engine.js';

export interface CollectorOptions {
  dataDir: string;
  listen: { host: string; port: number };
  http: { host: string; port: number };
  /** From `run --config FILE`; the defaults otherwise. */
  config?: CollectorConfig;
  insecure?: boolean;
  limits?: Partial<ProtocolLimits>;
  maxUnauthenticated?: number;
  maxUnauthenticatedPerAddress?: number;
  /** New connections per second per source address; bursts of four times that pass. */
  connectRatePerAddress?: number;
  logger: Logger;
}

/**
 * A running collector: the agent listener on 41121, the store, the state engine with its
 * notifications, and the HTTP listener (API, live feed, console, metrics).
 *
 * @example
 * const collector = new Collector({ dataDir, listen: { host: '0.0.0.0', port: 41121 }, http: { host: '127.0.0.1', port: 8080 }, logger });
 * const { agentUrl, apiUrl } = await collector.start();
 * await collector.stop();
 */
export class Collector {
  readonly counters = new Counters();
  readonly #options: CollectorOptions;
  readonly #store: SqliteStore;
  readonly #notifications: NotificationService;
  readonly #engine: StateEngine;
  readonly #server: CollectorServer;
  readonly #api: ApiServer;

  constructor(options: CollectorOptions) {
    this.#options = options;
    const config = options.config ?? defaultCollectorConfig();
    const identity = loadIdentity(options.dataDir);
    const token = loadApiToken(options.dataDir);
    const startedAt = Date.now();
    this.#store = SqliteStore.open(dataFiles(options.dataDir).database, { flapChanges: config.state.flapChanges, flapWindowMs: config.state.flapWindowMs });
    this.#notifications = new NotificationService({ db: this.#store.database, config: config.notify, logger: options.logger, counters: this.counters });
    const feed = new LiveFeed();
    const connectedAgents = () => this.#server.connectedAgents();
    this.#engine = new StateEngine({
      store: this.#store,
      config,
      alerts: this.#notifications,
      feed,
      logger: options.logger,
      counters: this.counters,
      connectedAgents,
      startedAt,
    });
    this.#server = new CollectorServer({
      host: options.listen.host,
      port: options.listen.port,
      insecure: options.insecure ?? false,
      identity,
      store: this.#store,
      state: this.#engine,
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
      engine: this.#engine,
      counters: this.counters,
      logger: options.logger,
      feed,
      token,
      read: config.api.read,
      connectedAgents,
      notifications: this.#notifications,
      console: createConsoleHandler(),
      startedAt,
    });
  }

  async start(): Promise<{ agentUrl: string; apiUrl: string }> {
    const { url: agentUrl } = await this.#server.start();
    const { url: apiUrl } = await this.#api.start();
    this.#notifications.start();
    this.#engine.start();
    if (this.#options.insecure) {
      this.#options.logger.warn('INSECURE: agents connect over plain ws://; results cross the network unencrypted');
    }
    this.#options.logger.info({ agentUrl, apiUrl, console: `${apiUrl}/` }, 'collector listening');
    return { agentUrl, apiUrl };
  }

  async stop(): Promise<void> {
    this.#engine.stop();
    await this.#server.stop();
    await this.#api.stop();
    await this.#notifications.stop();
    await this.#store.close();
    this.#options.logger.info('collector stopped');
  }
}
