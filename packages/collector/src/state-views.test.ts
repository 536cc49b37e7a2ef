import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateKeyPair } from '@outpost/protocol';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SqliteStore } from './sqlite-store.js';
import { listAgentViews } from './state-views.js';

let dir: string;
let store: SqliteStore;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'outpost-views-'));
  store = SqliteStore.open(join(dir, 'collector.db'));
});
afterEach(async () => {
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

async function agent(name: string): Promise<number> {
  await store.createPendingAgent(name, generateKeyPair().publicKey, 1, 10);
  await store.setAgentStatus(name, 'active', 2);
  return (await store.findAgentByName(name))!.id;
}

describe('agent views', () => {
  it('shows an agent behind a relay connected only while it is heard and active; a direct one while its session lives', async () => {
    const direct = await agent('direct');
    const relayed = await agent('deep');
    await store.recordRelayPath(relayed, ['deep', 'relay-1'], 3);
    // Both have a live route: a session of their own, or the relay session that carried them.
    const views = async () =>
      new Map((await listAgentViews({ store, connectedAgents: () => new Set([direct, relayed]), graceFor: () => 40_000, labelsFor: () => ({}) })).map((v) => [v.name, v.connected]));
    expect(await views()).toEqual(new Map([['direct', true], ['deep', true]]));
    // Silent: the relay session still stands, but nothing says the agent behind it does.
    await store.setAgentSilence(direct, 4);
    await store.setAgentSilence(relayed, 4);
    expect(await views()).toEqual(new Map([['direct', true], ['deep', false]]));
    await store.setAgentSilence(relayed, null);
    expect((await views()).get('deep')).toBe(true);
    await store.setAgentStatus('deep', 'revoked', 5);
    expect((await views()).get('deep')).toBe(false);
  });
});
