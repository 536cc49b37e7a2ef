import { ErrorCode, OutpostError } from './errors.js';
import { sign, type PublicKey } from './keys.js';

export const CONFIG_DOMAIN = 'outpost/config/v1';

/** A remote config as it travels: the YAML text, its version and the collector's signature. */
export interface SignedConfig {
  version: number;
  config: Uint8Array;
  signature: Uint8Array;
}

function u64be(n: number): Uint8Array {
  const out = Buffer.alloc(8);
  out.writeBigUInt64BE(BigInt(n));
  return out;
}

/**
 * Sign a remote config for one agent. The signature binds the agent's key and the version,
 * so a push for one agent is worthless to another and an old version cannot be replayed
 * as new.
 *
 * @example
 * const push = signConfig(collectorKeyPair.secretKey, agentKey, 7, Buffer.from(yamlText));
 */
export function signConfig(collectorSecretKey: Uint8Array, agentKey: Uint8Array, version: number, config: Uint8Array): SignedConfig {
  if (!Number.isSafeInteger(version) || version < 1) throw new OutpostError(ErrorCode.CONFIG, `config version must be a positive integer, got ${version}`);
  return { version, config, signature: sign(collectorSecretKey, CONFIG_DOMAIN, [agentKey, u64be(version), config]) };
}

/** True when one of the trusted collector keys signed this config for this agent. */
export function verifyConfig(push: SignedConfig, agentKey: Uint8Array, collectorKeys: readonly PublicKey[]): boolean {
  if (!Number.isSafeInteger(push.version) || push.version < 1) return false;
  return collectorKeys.some((key) => key.verify(CONFIG_DOMAIN, [agentKey, u64be(push.version), push.config], push.signature));
}
