import type { CheckType } from './check.js';
import { dnsCheck } from './dns.js';
import { exposureCheck } from './exposure.js';
import { httpCheck } from './http.js';
import { icmpCheck } from './icmp.js';
import { snmpCheck } from './snmp.js';
import { tcpCheck } from './tcp.js';
import { tlsCheck } from './tls.js';
import { udpCheck } from './udp.js';

/** Every check type the agent knows, by the `type` key used in config files and the CLI. */
export const CHECK_TYPES: ReadonlyMap<string, CheckType<unknown>> = new Map(
  ([tcpCheck, udpCheck, icmpCheck, exposureCheck, httpCheck, dnsCheck, tlsCheck, snmpCheck] as CheckType<unknown>[]).map((check) => [check.type, check]),
);

export type { CheckContext, CheckType, Observation, StatusName } from './check.js';
export { applyThresholds, metricThresholds, thresholdMetricProblem, type MetricThresholds, type ThresholdMetricProblem } from './thresholds.js';
