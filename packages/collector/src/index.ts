/**
 * @outpost/collector: accepts agents on TCP 41121, verifies and stores their signed
 * batches exactly once, and serves the HTTP API.
 *
 * @example
 * import { Collector, createLogger } from '@outpost/collector';
 * const collector = new Collector({ dataDir, listen: { host: '0.0.0.0', port: 41121 }, http: { host: '127.0.0.1', port: 8080 }, logger: createLogger('c') });
 * await collector.start();
 */
export { Collector, type CollectorOptions } from './collector.js';
export { Counters } from './counters.js';
export { initDataDir, loadIdentity } from './data-dir.js';
export { issueToken } from './enrollment.js';
export { createLogger } from './logger.js';
export { SqliteStore } from './sqlite-store.js';
export type { AgentRecord, CollectorStore } from './store.js';
