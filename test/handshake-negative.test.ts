import { AgentHandshake, decodeFrame, encodeFrame, generateKeyPair, PublicKey, type Challenge } from '@outpost/protocol';
import { afterEach, describe, expect, it } from 'vitest';
import { TestDeployment } from './support/deployment.js';
import { eventually, runCli } from './support/processes.js';
import { RawAgent } from './support/raw-agent.js';

interface StatusView {
  counters: Record<string, number>;
}

let deployment: TestDeployment | undefined;
afterEach(async () => {
  await deployment?.cleanup();
  deployment = undefined;
});

const url = (d: TestDeployment) => `wss://127.0.0.1:${d.port}/outpost/v1`;

async function refusalCode(agent: RawAgent): Promise<string> {
  const frame = await agent.next('error');
  if (frame.type !== 'error') throw new Error('unreachable');
  return frame.body.code;
}

describe('negative handshakes over real sockets', () => {
  it('refuses an expired token and a used token', async () => {
    const d = (deployment = await TestDeployment.create());
    await d.startCollector();
    const expiring = (await runCli('collector', ['token', '--data-dir', d.collectorDir, '--ttl', '1s'])).stdout.trim();
    await new Promise((r) => setTimeout(r, 1_200));
    const late = await RawAgent.connect(url(d));
    await late.hello({ name: 'late', collectorKey: d.collectorKey, token: expiring });
    expect(await refusalCode(late)).toBe('OUTPOST_ERR_BAD_TOKEN');

    const token = await d.token();
    const first = await RawAgent.connect(url(d));
    await first.hello({ name: 'first', collectorKey: d.collectorKey, token });
    await first.next('welcome');
    const second = await RawAgent.connect(url(d));
    await second.hello({ name: 'second', collectorKey: d.collectorKey, token });
    expect(await refusalCode(second)).toBe('OUTPOST_ERR_BAD_TOKEN');
    first.close();
    const status = await d.api<StatusView>('/api/v1/status');
    expect(status.counters['refused.bad_token']).toBe(2);
  });

  it('cuts off a live agent within seconds of its revocation and keeps it out', async () => {
    const d = (deployment = await TestDeployment.create());
    await d.startCollector();
    await d.initAgent('lab-r', { checks: [{ id: 'p', type: 'tcp', target: `127.0.0.1:${d.port}`, interval: '200ms', jitter: '0%' }] });
    const agent = d.startAgent('lab-r');
    await eventually('first results', () => (d.collectorResultIds('lab-r').length > 0 ? true : undefined));
    const revokedAt = Date.now();
    expect((await runCli('collector', ['agents', 'revoke', 'lab-r', '--data-dir', d.collectorDir])).code).toBe(0);
    await agent.waitForLine((line) => line.includes('OUTPOST_ERR_REVOKED'), 10_000);
    expect(Date.now() - revokedAt).toBeLessThan(10_000);
    const storedAtCut = d.collectorResultIds('lab-r').length;
    // It keeps trying and keeps being refused; nothing more is stored.
    await new Promise((r) => setTimeout(r, 1_500));
    expect(d.collectorResultIds('lab-r').length).toBe(storedAtCut);
    const status = await d.api<StatusView>('/api/v1/status');
    expect(status.counters['refused.revoked']).toBeGreaterThanOrEqual(1);
  });

  it('refuses a Hello replayed on another connection', async () => {
    const d = (deployment = await TestDeployment.create());
    await d.startCollector();
    const keyPair = generateKeyPair();
    const token = await d.token();
    const original = await RawAgent.connect(url(d), keyPair);
    const challenge = (await original.next('challenge')).body as Challenge;
    const hello = encodeFrame({
      hello: new AgentHandshake({ keyPair, agentName: 'replayed', collectorKeys: [PublicKey.parse(d.collectorKey)], software: 't', configHash: '', enrollToken: token }).onChallenge(challenge),
    });
    original.send(hello);
    await original.next('welcome');
    original.close();

    const replay = await RawAgent.connect(url(d));
    await replay.next('challenge');
    replay.send(hello);
    const { code } = await replay.closed;
    expect(code).toBe(1008);
    expect(decodeFrame(hello).type).toBe('hello');
    const status = await d.api<StatusView>('/api/v1/status');
    expect(status.counters['rejected.bad_signature']).toBe(1);
    expect(status.counters['sessions.admitted']).toBe(1);
  });
});
