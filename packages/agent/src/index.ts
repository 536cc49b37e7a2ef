/**
 * @outpost/agent: the satellite. Runs checks inside a segment, keeps every result in a
 * SQLite outbox and uploads signed batches to the collector.
 *
 * @example
 * import { Agent, loadAgentConfig, createLogger } from '@outpost/agent';
 * const agent = new Agent(loadAgentConfig('agent.yaml'), createLogger('outpost-agent'));
 * agent.start();
 */
export { Agent, outboxPath } from './agent.js';
export { CHECK_TYPES } from './checks/index.js';
export type { CheckContext, CheckType, Observation, StatusName } from './checks/index.js';
export { ConfigError } from '@outpost/protocol';
export { loadAgentConfig, parseAgentConfig, type AgentConfig, type ResolvedCheck } from './config.js';
export { createLogger } from './logger.js';
export { Outbox, type NewResult } from './outbox.js';
export { Scheduler } from './scheduler.js';
export { Uplink } from './uplink.js';
