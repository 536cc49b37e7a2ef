import type { CheckType } from './check.js';
import { tcpCheck } from './tcp.js';

/** Every check type the agent knows, by the `type` key used in config files and the CLI. */
export const CHECK_TYPES: ReadonlyMap<string, CheckType<unknown>> = new Map(
  [tcpCheck as CheckType<unknown>].map((check) => [check.type, check]),
);

export type { CheckContext, CheckType, Observation, StatusName } from './check.js';
