import { ConfigError, signConfig, type KeyPair } from '@outpost/protocol';
import { isMap, isSeq, parseDocument, type Document } from 'yaml';
import { SEGMENTATION_CHECK_PREFIX, type GeneratedCheck } from './segmentation-checks.js';
import type { AgentRecord, CollectorStore } from './store.js';

/**
 * An agent's remote config is two parts signed as one version: the operator's own (`config
 * set`, the API) and the checks generated from the segmentation policy, told apart by the
 * `seg:` id prefix. Either side replaces only its own part, keeping the operator's comments
 * and layout, and the merged text is what gets signed and pushed.
 */

function isGenerated(item: unknown): boolean {
  return isMap(item) && String(item.get('id') ?? '').startsWith(SEGMENTATION_CHECK_PREFIX);
}

function checksOf(doc: Document) {
  const checks = doc.get('checks', true);
  return isSeq(checks) ? checks : undefined;
}

/** Refuse an operator config that uses the generated checks' id prefix. */
export function assertNoGeneratedIds(text: string, where: string): void {
  const checks = checksOf(parseDocument(text));
  checks?.items.forEach((item, i) => {
    if (isGenerated(item)) throw new ConfigError(where, ['checks', i, 'id'], `ids starting with "${SEGMENTATION_CHECK_PREFIX}" are kept for checks generated from the segmentation policy`);
  });
}

/** The generated checks inside a stored version, as plain objects (for comparison). */
export function generatedPart(text: string): unknown[] {
  return (checksOf(parseDocument(text))?.items ?? []).filter(isGenerated).map((item) => (item as { toJSON(): unknown }).toJSON());
}

/**
 * `base` with its generated checks replaced by `generated`. `base` is the stored version
 * (its operator part is kept) or undefined when the operator never set one.
 *
 * @example
 * mergeGenerated('checks:\n  - { id: web, type: tcp, target: "192.0.2.1:80" }\n', generated)
 */
export function mergeGenerated(base: string | undefined, generated: readonly unknown[]): string {
  // Generated checks alone must not silence the agent's own: they come in beside them.
  const doc = parseDocument(base ?? 'local_checks: keep\nchecks: []\n');
  let checks = checksOf(doc);
  if (!checks) {
    doc.set('checks', doc.createNode([]));
    checks = checksOf(doc)!;
  }
  checks.items = checks.items.filter((item) => !isGenerated(item));
  for (const check of generated) checks.items.push(doc.createNode(check));
  // A flow sequence (`checks: []`) with maps in it reads badly: lay it out in blocks.
  if (checks.items.length > 0) checks.flow = false;
  return doc.toString();
}

const same = (a: unknown, b: unknown): boolean => JSON.stringify(a) === JSON.stringify(b);

/**
 * Store a new version for `agent` when its generated checks differ from the ones it
 * has; returns the new version, or undefined when nothing changed (no push).
 */
export async function syncGeneratedChecks(store: CollectorStore, keyPair: KeyPair, agent: AgentRecord, generated: readonly GeneratedCheck[], at: number): Promise<number | undefined> {
  const latest = await store.latestAgentConfig(agent.id);
  const base = latest === undefined ? undefined : Buffer.from(latest.config).toString('utf8');
  // An agent that never had a remote config and gets no generated checks stays on its file.
  if (base === undefined && generated.length === 0) return undefined;
  if (base !== undefined && same(generatedPart(base), generated)) return undefined;
  const bytes = Buffer.from(mergeGenerated(base, generated), 'utf8');
  return store.putAgentConfig(agent.id, bytes, (version) => signConfig(keyPair.secretKey, agent.publicKey, version, bytes).signature, at);
}
