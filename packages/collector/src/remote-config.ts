import { ConfigError, ErrorCode, OutpostError, signConfig, yamlErrorText, type KeyPair } from '@outpost/protocol';
import { parseDocument } from 'yaml';
import { assertNoGeneratedIds, generatedPart, mergeGenerated } from './segmentation-config.js';
import type { CollectorStore } from './store.js';

/** Sections a remote config may carry; the agent's local file decides which it accepts beyond checks and defaults. */
export const REMOTE_SECTIONS = ['checks', 'defaults', 'scheduler', 'uplink', 'outbox', 'local_checks'] as const;

/** Well under the protocol's 4 MiB message limit, with room for the frame around it. */
export const MAX_REMOTE_CONFIG_BYTES = 1024 * 1024;

/**
 * Check what the collector can check of a remote config before it is signed: YAML, a
 * mapping of known sections, a size that fits a frame. The agent validates the rest
 * (check types, targets, thresholds) against its own schema before it switches, and
 * reports a refusal in its heartbeat.
 */
export function validateRemoteConfig(text: string, where: string): void {
  if (Buffer.byteLength(text) > MAX_REMOTE_CONFIG_BYTES) throw new ConfigError(where, [], `larger than ${MAX_REMOTE_CONFIG_BYTES} bytes`);
  const doc = parseDocument(text, { uniqueKeys: true });
  if (doc.errors.length > 0) throw new ConfigError(where, [], yamlErrorText(doc.errors[0]!));
  const value = doc.toJS() as unknown;
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new ConfigError(where, [], 'expected a mapping with a checks: list');
  for (const key of Object.keys(value)) {
    if (!(REMOTE_SECTIONS as readonly string[]).includes(key)) {
      throw new ConfigError(where, [key], `not a section a remote config may set (expected ${REMOTE_SECTIONS.join(', ')}; agent identity and collector settings stay local)`);
    }
  }
  const checks = (value as Record<string, unknown>)['checks'];
  if (!Array.isArray(checks)) throw new ConfigError(where, ['checks'], 'expected a list of checks');
}

/**
 * Sign and store the next config version for an agent; connected agents receive it within
 * a second, others when they next connect.
 *
 * @example
 * const version = await setAgentConfig(store, identity.keyPair, 'lab-1', readFileSync('lab-1.yaml', 'utf8'), 'lab-1.yaml');
 */
export async function setAgentConfig(store: CollectorStore, keyPair: KeyPair, agentName: string, text: string, where: string): Promise<number> {
  validateRemoteConfig(text, where);
  assertNoGeneratedIds(text, where);
  const agent = await store.findAgentByName(agentName);
  if (!agent) throw new OutpostError(ErrorCode.CONFIG, `no agent named "${agentName}" (outpost-collector agents list)`);
  // The checks generated from the segmentation policy stay: the operator replaces only their part.
  const latest = await store.latestAgentConfig(agent.id);
  const generated = latest === undefined ? [] : generatedPart(Buffer.from(latest.config).toString('utf8'));
  const bytes = Buffer.from(generated.length === 0 ? text : mergeGenerated(text, generated), 'utf8');
  return store.putAgentConfig(agent.id, bytes, (version) => signConfig(keyPair.secretKey, agent.publicKey, version, bytes).signature, Date.now());
}
