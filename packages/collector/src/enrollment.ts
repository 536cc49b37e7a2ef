import { createHash, randomBytes } from 'node:crypto';
import { encodeKey, ErrorCode, type ErrorCodeValue, type VerifiedHello } from '@outpost/protocol';
import type { AgentRecord, AgentStatus, CollectorStore } from './store.js';

/** Unknown agents recorded as pending at most; past this only a token enrolls. */
export const MAX_PENDING_AGENTS = 1_000;

/** Only a hash of a token is stored: a copy of the database enrolls nobody. */
export function hashToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

/** Create a one-time enrollment token valid for `ttlMs`, optionally bound to an agent name. */
export async function issueToken(store: CollectorStore, ttlMs: number, agentName: string | null, now = Date.now()): Promise<string> {
  const token = `opt_${randomBytes(24).toString('base64url')}`;
  await store.createToken(hashToken(token), agentName, now + ttlMs, now);
  return token;
}

/** What an operator's approve or revoke would do: refused with a reason, or done, and whether it re-admits a revoked key. */
export type StatusChange = { refused: string } | { refused?: undefined; readmits: boolean };

/**
 * Check an operator's `status` change of `agent` against the key prefix they gave, if any
 * (`keyArg` writes a prefix the way they give it: `--key …` or a request body). A revoked
 * key may be lost or stolen, so approving a revoked agent needs its key prefix: re-admitting
 * it is then on purpose, never the side effect of approving a name out of habit.
 *
 * @example
 * const change = checkStatusChange(agent, 'active', argv.key, (prefix) => `--key ${prefix}`);
 * if (change.refused !== undefined) fail(new OutpostError(ErrorCode.REVOKED, change.refused));
 */
export function checkStatusChange(agent: AgentRecord, status: AgentStatus, keyPrefix: string | undefined, keyArg: (prefix: string) => string): StatusChange {
  const key = encodeKey(agent.publicKey);
  // An empty or bare "ed25519:" prefix (an unset shell variable) would match every key.
  if (keyPrefix !== undefined && keyPrefix.replace(/^ed25519:/, '').length < MIN_KEY_PREFIX_CHARS) {
    return { refused: `${keyArg(keyPrefix)}: expected at least ${MIN_KEY_PREFIX_CHARS} characters of the key after "ed25519:", e.g. ${keyArg(key.slice(0, 20))}` };
  }
  // Anyone can claim a name while pending; the prefix makes sure the approved key is the one the operator saw.
  if (keyPrefix !== undefined && !key.startsWith(keyPrefix)) return { refused: `agent "${agent.name}" has key ${key}, which does not start with ${keyArg(keyPrefix)}` };
  const readmits = status === 'active' && agent.status === 'revoked';
  if (readmits && keyPrefix === undefined) {
    return {
      refused:
        `agent "${agent.name}" is revoked: approving it would re-admit its key ${key}, which may be lost or stolen. ` +
        `To re-admit that same key on purpose, approve with ${keyArg(key.slice(0, 20))}; ` +
        `for a new key, enroll it under a new name (outpost-collector token --agent NEW-NAME): the name "${agent.name}" stays with the revoked key`,
    };
  }
  return { readmits };
}

/** The shortest key prefix an approval accepts: enough that it names one key. */
const MIN_KEY_PREFIX_CHARS = 4;

/** Why no token may be bound to `name`, when it belongs to a revoked agent: any new key would be refused under it. */
export async function tokenNameRefusal(store: CollectorStore, name: string): Promise<string | undefined> {
  const agent = await store.findAgentByName(name);
  if (agent?.status !== 'revoked') return undefined;
  return (
    `agent name "${name}" is revoked and stays with its revoked key ${encodeKey(agent.publicKey)}: a new key enrolling under it would get OUTPOST_ERR_NAME_TAKEN. ` +
    `Enroll the new key under a new name (outpost-collector token --agent NEW-NAME)`
  );
}

export type Admission = { admitted: true; agent: AgentRecord } | { admitted: false; code: ErrorCodeValue; message: string };

/**
 * Decide whether a verified Hello may open a session: an active agent by key, or a valid
 * one-time token; an unknown agent without a token is recorded as pending approval.
 */
export async function admit(store: CollectorStore, hello: VerifiedHello, now = Date.now()): Promise<Admission> {
  const name = hello.agentName;
  let agent = await store.findAgentByKey(hello.agentKey.raw);
  if (!agent && hello.rotateTo) {
    // A rotation the collector completed but the agent did not record: it comes back with
    // the old key and the same signed move, and is known by the new key already.
    const rotated = await store.findAgentByPreviousKey(hello.agentKey.raw);
    if (rotated && hello.rotateTo.equals(rotated.publicKey)) agent = rotated;
  }
  if (agent && agent.name !== name) {
    return { admitted: false, code: ErrorCode.NAME_TAKEN, message: `this key is enrolled as "${agent.name}", not "${name}"` };
  }
  if (agent?.status === 'revoked') return { admitted: false, code: ErrorCode.REVOKED, message: `agent "${name}" is revoked` };
  if (agent?.status === 'active') return { admitted: true, agent };

  if (hello.enrollToken) {
    const outcome = await store.enrollWithToken(hashToken(hello.enrollToken), name, hello.agentKey.raw, now);
    if (outcome === 'name_taken') {
      return { admitted: false, code: ErrorCode.NAME_TAKEN, message: `agent name "${name}" is enrolled with another key` };
    }
    if (outcome === 'bad_token') {
      return { admitted: false, code: ErrorCode.BAD_TOKEN, message: `enrollment token for "${name}" is unknown, used, expired or bound to another name` };
    }
    agent = await store.findAgentByKey(hello.agentKey.raw);
    if (agent) return { admitted: true, agent };
  }

  if (!agent) {
    const created = await store.createPendingAgent(name, hello.agentKey.raw, now, MAX_PENDING_AGENTS);
    if (created === 'name_taken') return { admitted: false, code: ErrorCode.NAME_TAKEN, message: `agent name "${name}" is enrolled with another key` };
    if (created === 'limit') {
      return { admitted: false, code: ErrorCode.LIMIT, message: `${MAX_PENDING_AGENTS} agents already wait for approval; use an enrollment token` };
    }
  }
  return {
    admitted: false,
    code: ErrorCode.PENDING_APPROVAL,
    message: `agent "${name}" waits for approval (outpost-collector agents approve ${name}) or an enrollment token`,
  };
}
