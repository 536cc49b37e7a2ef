import { createHash, randomBytes } from 'node:crypto';
import { ErrorCode, type ErrorCodeValue, type VerifiedHello } from '@outpost/protocol';
import type { AgentRecord, CollectorStore } from './store.js';

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
