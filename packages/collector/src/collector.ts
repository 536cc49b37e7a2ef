import { resolveLimits, type ProtocolLimits } from '@outpost/protocol';
import { defaultCollectorConfig, stateEngineSettings, type CollectorConfig } from './collector-config.js';
import { describeConfigChange, type ConfigChange } from './config-reload.js';
import { createConsoleHandler } from './console-assets.js';
import { Counters } from './counters.js';
import { openStorage, type CollectorStorage } from './collector-storage.js';
import { loadApiToken, loadIdentity } from './data-dir.js';
import { ApiServer } from './http-api.js';
import { LiveFeed } from './live-feed.js';
import type { Logger } from './logger.js';
import { NotificationService } from './notify/service.js';
import { SegmentationMonitor } from './segmentation-monitor.js';
import { CollectorServer } from './server.js';
import { StateEngine } from './state-engine.js';
import type { CollectorStore } from './store.js';

export interface CollectorOptions {
  dataDir: string;
  listen: { host: string; port: number };
  http: { host: string; port: number };
  /** From `run --config FILE`; the defaults otherwise. */
  config?: CollectorConfig;
  /**
   * 'sqlite' (default: collector.db in the data directory) or a postgres:// URL, which
   * several collectors may share (one of them leads alerting; see docs/operations.md).
   */
  store?: string;
  insecure?: boolean;
  limits?: Partial<ProtocolLimits>;
  maxUnauthenticated?: number;
  maxUnauthenticatedPerAddress?: number;
  /** New connections per second per source address; bursts of four times that pass. */
  connectRatePerAddress?: number;
  /** Verified results waiting for their commit over all agents, past which the collector stops reading from agents until the store catches up. */
  maxWaitingResults?: number;
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
  readonly #storage: CollectorStorage;
  readonly #store: CollectorStore;
  readonly #notifications: NotificationService;
  readonly #engine: StateEngine;
  readonly #server: CollectorServer;
  readonly #api: ApiServer;
  readonly #segmentation: SegmentationMonitor;
  readonly #retention: CollectorStorage['retention'];
  #config: CollectorConfig;

  constructor(options: CollectorOptions) {
    this.#options = options;
    const config = options.config ?? defaultCollectorConfig();
    this.#config = config;
    const identity = loadIdentity(options.dataDir);
    const token = loadApiToken(options.dataDir);
    const startedAt = Date.now();
    this.#storage = openStorage({
      ...(options.store === undefined ? {} : { store: options.store }),
      dataDir: options.dataDir,
      settings: stateEngineSettings(config),
      retention: config.retention,
      logger: options.logger,
    });
    this.#store = this.#storage.store;
    this.#retention = this.#storage.retention;
    this.#notifications = new NotificationService({ ...this.#storage.notifications, config: config.notify, logger: options.logger, counters: this.counters });
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
      maxWaitingResults: options.maxWaitingResults ?? 200_000,
      maxConnectsPerSecondPerAddress: options.connectRatePerAddress ?? 50,
      connectBurstPerAddress: 4 * (options.connectRatePerAddress ?? 50),
    });
    this.#segmentation = new SegmentationMonitor({ store: this.#store, config, events: this.#engine, feed, logger: options.logger, keyPair: identity.keyPair });
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
      collectorKeyPair: identity.keyPair,
      startedAt,
      segmentation: this.#segmentation,
    });
  }

  async start(): Promise<{ agentUrl: string; apiUrl: string }> {
    await this.#storage.prepare();
    this.#retention.start();
    const { url: agentUrl } = await this.#server.start();
    const { url: apiUrl } = await this.#api.start();
    // Sweeps and delivery run on the leader only: the one SQLite collector, or the one
    // collector on a PostgreSQL database that holds the leader lock.
    this.#engine.setLeader(false);
    this.#storage.lead(
      (leader) => {
        this.#engine.setLeader(leader);
        this.#segmentation.setLeader(leader);
        if (leader) this.#notifications.start();
        else void this.#notifications.stop();
      },
      () => this.#notifications.wake(),
    );
    this.#engine.start();
    this.#segmentation.start();
    if (this.#options.insecure) {
      this.#options.logger.warn('INSECURE: agents connect over plain ws://; results cross the network unencrypted');
    }
    this.#options.logger.info({ agentUrl, apiUrl, console: `${apiUrl}/` }, 'collector listening');
    return { agentUrl, apiUrl };
  }

  /**
   * Apply a re-read config file (SIGHUP) to the running collector: notification rules and
   * notifiers, agent labels, grace and summary delay, retention. Connections stay up.
   */
  reload(config: CollectorConfig): ConfigChange {
    const change = describeConfigChange(this.#config, config);
    // What is read only at start keeps its running value, so the store and the engine agree.
    const live: CollectorConfig = { ...config, api: this.#config.api, state: { ...config.state, ...stateEngineSettings(this.#config) } };
    this.#notifications.reload(live.notify);
    this.#engine.setConfig(live);
    this.#retention.setPolicy(live.retention);
    this.#segmentation.setConfig(live);
    this.#config = live;
    return change;
  }

  async stop(): Promise<void> {
    this.#engine.stop();
    this.#segmentation.stop();
    // No prune chunk starts once stopping began; the one in progress finishes first.
    await this.#retention.stop();
    await this.#server.stop();
    await this.#api.stop();
    await this.#storage.stopLeading();
    await this.#notifications.close();
    await this.#store.close();
    this.#options.logger.info('collector stopped');
  }
}
