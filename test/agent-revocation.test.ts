import { encodeKey, generateKeyPair } from '@outpost/protocol';
import { afterEach, describe, expect, it } from 'vitest';
import { SqliteStore } from '../packages/collector/src/sqlite-store.js';
import { TestDeployment } from './support/deployment.js';
import { runCli } from './support/processes.js';

// A revoked agent's key may be lost or stolen: neither `agents approve NAME` nor the API's
// approve route may let it back in by accident, and no token is bound to its name.

let deployment: TestDeployment | undefined;

afterEach(async () => {
  await deployment?.cleanup();
  deployment = undefined;
});

/** An agent that asked to enroll (pending), as a Hello without a token records it; the key it holds. */
async function pendingAgent(d: TestDeployment, name: string): Promise<string> {
  const keys = generateKeyPair();
  const store = SqliteStore.open(`${d.collectorDir}/collector.db`);
  try {
    await store.createPendingAgent(name, keys.publicKey, Date.now(), 10);
  } finally {
    await store.close();
  }
  return encodeKey(keys.publicKey);
}

const cli = (d: TestDeployment, ...args: string[]) => runCli('collector', [...args, '--data-dir', d.collectorDir]);

async function statusOf(d: TestDeployment, name: string): Promise<string | undefined> {
  const list = await cli(d, 'agents', 'list', '--json');
  expect(list.code, list.stderr).toBe(0);
  return (JSON.parse(list.stdout) as { name: string; status: string }[]).find((a) => a.name === name)?.status;
}

describe('outpost-collector agents approve / token for a revoked agent', () => {
  it('refuses to re-admit a revoked key without --key, and re-admits it on purpose with the matching --key', async () => {
    const d = (deployment = await TestDeployment.create());
    const key = await pendingAgent(d, 'w2-c');
    expect((await cli(d, 'agents', 'approve', 'w2-c', '--key', key.slice(0, 20))).code).toBe(0);
    expect((await cli(d, 'agents', 'revoke', 'w2-c')).code).toBe(0);

    const bare = await cli(d, 'agents', 'approve', 'w2-c');
    expect(bare.code).toBe(2);
    expect(bare.stdout).toBe('');
    expect(bare.stderr).toContain('agent "w2-c" is revoked');
    expect(bare.stderr).toContain(`--key ${key.slice(0, 20)}`);
    expect(bare.stderr).toContain('token --agent NEW-NAME');
    expect(await statusOf(d, 'w2-c')).toBe('revoked');

    // An empty or bare prefix (an unset shell variable) names no key: refused, not matched.
    for (const empty of ['', 'ed25519:', 'ed25519:ab']) {
      const res = await cli(d, 'agents', 'approve', 'w2-c', '--key', empty);
      expect(res.code).toBe(2);
      expect(res.stderr).toContain('expected at least 4 characters of the key after "ed25519:"');
    }
    expect(await statusOf(d, 'w2-c')).toBe('revoked');

    const wrong = await cli(d, 'agents', 'approve', 'w2-c', '--key', 'ed25519:nope');
    expect(wrong.code).toBe(2);
    expect(wrong.stderr).toContain('does not start with --key ed25519:nope');
    expect(await statusOf(d, 'w2-c')).toBe('revoked');

    const onPurpose = await cli(d, 'agents', 'approve', 'w2-c', '--key', key.slice(0, 20));
    expect(onPurpose.code, onPurpose.stderr).toBe(0);
    expect(onPurpose.stdout).toBe(`w2-c: active (key ${key}), re-admitted after its revocation: the key given with --key matched\n`);
    expect(await statusOf(d, 'w2-c')).toBe('active');

    // Approving an agent that is already active, or a pending one, is unchanged: no --key needed.
    const again = await cli(d, 'agents', 'approve', 'w2-c');
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).toBe(`w2-c: active (key ${key})\n`);
    const otherKey = await pendingAgent(d, 'w2-d');
    const pending = await cli(d, 'agents', 'approve', 'w2-d');
    expect(pending.code, pending.stderr).toBe(0);
    expect(pending.stdout).toBe(`w2-d: active (key ${otherKey})\n`);
  });

  it('refuses a token bound to a revoked name, and still issues one for a new name', async () => {
    const d = (deployment = await TestDeployment.create());
    const key = await pendingAgent(d, 'w2-c');
    expect((await cli(d, 'agents', 'revoke', 'w2-c')).code).toBe(0);

    const refused = await cli(d, 'token', '--agent', 'w2-c');
    expect(refused.code).toBe(2);
    expect(refused.stdout).toBe('');
    expect(refused.stderr).toContain(`agent name "w2-c" is revoked and stays with its revoked key ${key}`);
    expect(refused.stderr).toContain('under a new name');

    const fresh = await cli(d, 'token', '--agent', 'w2-c-2');
    expect(fresh.code, fresh.stderr).toBe(0);
    expect(fresh.stdout).toMatch(/^opt_[A-Za-z0-9_-]+\n$/);
  });

  it("the API's approve route applies the same rule", { timeout: 120_000 }, async () => {
    const d = (deployment = await TestDeployment.create());
    const key = await pendingAgent(d, 'w2-c');
    expect((await cli(d, 'agents', 'revoke', 'w2-c')).code).toBe(0);
    const token = (await cli(d, 'api-token')).stdout.trim();
    await d.startCollector();
    const approve = async (body?: object) => {
      const res = await fetch(`${d.apiUrl}/api/v1/agents/w2-c/approve`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}` },
        ...(body ? { body: JSON.stringify(body) } : {}),
      });
      return { status: res.status, body: (await res.json()) as { error?: string; agent?: { status: string } } };
    };

    const bare = await approve();
    expect(bare.status).toBe(409);
    expect(bare.body.error).toContain('agent "w2-c" is revoked');
    expect(await statusOf(d, 'w2-c')).toBe('revoked');
    expect((await approve({ key: 'ed25519:nope' })).status).toBe(409);
    expect((await approve({ key: 7 })).status).toBe(409);
    expect(await statusOf(d, 'w2-c')).toBe('revoked');

    const onPurpose = await approve({ key: key.slice(0, 20) });
    expect(onPurpose.status).toBe(200);
    expect(onPurpose.body.agent).toMatchObject({ status: 'active' });
    expect(await statusOf(d, 'w2-c')).toBe('active');
  });
});
