import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestDeployment } from './support/deployment.js';
import { eventually, runCli } from './support/processes.js';
import { WebhookReceiver } from './support/webhook-receiver.js';

// The operator's surface of the collector: the API token, cursors, writes through the
// API, the config file's errors and `notify test`.

let d: TestDeployment;
let token: string;

async function call(path: string, init: RequestInit & { token?: string } = {}): Promise<{ status: number; body: Record<string, unknown> }> {
  const headers = new Headers(init.headers);
  if (init.token) headers.set('authorization', `Bearer ${init.token}`);
  const res = await fetch(`${d.apiUrl}${path}`, { ...init, headers });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

beforeAll(async () => {
  d = await TestDeployment.create();
  const res = await runCli('collector', ['api-token', '--data-dir', d.collectorDir]);
  expect(res.code).toBe(0);
  token = res.stdout.trim();
  await d.startCollector();
  await d.initAgent('lab-1', { checks: [{ id: 'self', type: 'tcp', target: `127.0.0.1:${d.port}`, interval: '200ms', timeout: '500ms' }] });
  d.startAgent('lab-1');
  await eventually('30 results', async () => ((await d.api<{ results: unknown[] }>('/api/v1/results?limit=100')).results.length >= 30 ? true : undefined), 60_000);
}, 90_000);

afterAll(async () => {
  await d?.cleanup();
});

describe('collector API', () => {
  it('DELETE /api/v1/checks/{agent}/{check} forgets a check with the token, one still reporting only with force; it comes back with its next result', async () => {
    expect((await call('/api/v1/checks/lab-1/self', { method: 'DELETE' })).status).toBe(401);
    expect(await call('/api/v1/checks/lab-1/nothing', { method: 'DELETE', token })).toMatchObject({ status: 404, body: { error: 'agent "lab-1" has no check "nothing"' } });
    expect((await call('/api/v1/checks/nobody/self', { method: 'DELETE', token })).status).toBe(404);
    const refused = await call('/api/v1/checks/lab-1/self', { method: 'DELETE', token });
    expect(refused.status).toBe(409);
    expect(refused.body['error']).toContain('lab-1/self is not stale: it still reports');
    expect((await call('/api/v1/checks/lab-1/self?force=maybe', { method: 'DELETE', token })).status).toBe(400);
    const firstEvents = (await call('/api/v1/events?agent=lab-1&check=self&kind=check&limit=100')).body['events'] as { from: string | null }[];
    expect(firstEvents.filter((e) => e.from === null)).toHaveLength(1);
    // An open console hears of it on the live feed.
    const stream = await fetch(`${d.apiUrl}/api/v1/stream`);
    const reader = stream.body!.getReader();
    let feed = '';
    const heard = (async () => {
      for (let reads = 0; reads < 1_000 && !feed.includes('event: check_forgotten'); reads++) {
        const { value, done } = await reader.read();
        if (done) break;
        feed += Buffer.from(value).toString('utf8');
      }
    })();
    const gone = await call('/api/v1/checks/lab-1/self?force=1', { method: 'DELETE', token });
    expect(gone).toMatchObject({ status: 200, body: { agent: 'lab-1', check: 'self', forgotten: true, wasStale: false } });
    await heard;
    await reader.cancel();
    expect(feed).toContain('event: check_forgotten\ndata: {"agent":"lab-1","check":"self"}\n');
    // It runs every 200 ms: its next result makes it anew, as a first result (a second event with no previous status).
    await eventually('the check back as a first result', async () => {
      const events = (await call('/api/v1/events?agent=lab-1&check=self&kind=check&limit=100')).body['events'] as { from: string | null }[];
      return events.filter((e) => e.from === null).length === 2 ? true : undefined;
    });
    expect((await call('/api/v1/checks?agent=lab-1')).body['checks']).toMatchObject([{ check: 'self', status: 'OK', stale: false }]);
  });

  it('pages results and events with cursors that cover everything exactly once', async () => {
    const seen: number[] = [];
    let cursor: string | null = '';
    for (let pages = 0; cursor !== null && pages < 100; pages++) {
      const { status, body } = await call(`/api/v1/results?agent=lab-1&limit=7${cursor ? `&cursor=${cursor}` : ''}`);
      expect(status).toBe(200);
      const results = body['results'] as { resultId: number }[];
      expect(results.length).toBeLessThanOrEqual(7);
      seen.push(...results.map((r) => r.resultId));
      cursor = body['next'] as string | null;
    }
    expect(cursor).toBeNull();
    expect(new Set(seen).size).toBe(seen.length);
    expect(seen.length).toBeGreaterThanOrEqual(30);
    const events = await call('/api/v1/events?agent=lab-1&limit=1');
    expect(events.body['events']).toMatchObject([{ kind: 'check', agent: 'lab-1', check: 'self', from: null, to: 'OK', suppressed: 'initial' }]);
    expect((await call('/api/v1/results?cursor=not-a-cursor')).status).toBe(400);
    expect((await call('/api/v1/events?kind=nonsense')).status).toBe(400);
    // A filter value that matches nothing by mistake is refused, not answered with an empty list.
    const badStatus = await call('/api/v1/checks?status=bogus');
    expect(badStatus.status).toBe(400);
    expect(badStatus.body['error']).toBe('status: expected one of CRITICAL, UNKNOWN, WARNING, OK, got "bogus"');
    expect((await call('/api/v1/checks?problems=yes')).status).toBe(400);
    expect((await call('/api/v1/checks?status=ok&problems=0')).body['checks']).toMatchObject([{ check: 'self', status: 'OK' }]);
  });

  it('refuses writes without the operator token and performs them with it', async () => {
    const anonymous = await call('/api/v1/agents/lab-1/revoke', { method: 'POST' });
    expect(anonymous.status).toBe(401);
    expect(anonymous.body['error']).toMatch(/operator token/);
    expect((await call('/api/v1/agents/lab-1/revoke', { method: 'POST', token: 'wrong' })).status).toBe(401);
    const mismatch = await call('/api/v1/agents/lab-1/revoke', { method: 'POST', token, body: JSON.stringify({ key: 'ed25519:nope' }) });
    expect(mismatch.status).toBe(409);
    expect((await call('/api/v1/agents/nobody/approve', { method: 'POST', token })).status).toBe(404);
    const revoked = await call('/api/v1/agents/lab-1/revoke', { method: 'POST', token });
    expect(revoked.status).toBe(200);
    expect(revoked.body['agent']).toMatchObject({ name: 'lab-1', status: 'revoked', health: 'revoked' });
    // Revocation reaches the live connection.
    await eventually('lab-1 disconnected', async () => {
      const agents = (await call('/api/v1/agents')).body['agents'] as { name: string; connected: boolean }[];
      return agents.find((a) => a.name === 'lab-1')?.connected === false ? true : undefined;
    }, 30_000);
    // A revoked key comes back only when named: it may be the stolen one.
    expect((await call('/api/v1/agents/lab-1/approve', { method: 'POST', token })).status).toBe(409);
    const key = (revoked.body['agent'] as { key: string }).key;
    const approved = await call('/api/v1/agents/lab-1/approve', { method: 'POST', token, body: JSON.stringify({ key }) });
    expect(approved.body['agent']).toMatchObject({ status: 'active' });
    const counters = (await call('/api/v1/status')).body['counters'] as Record<string, number>;
    expect(counters['rejected.api_token']).toBe(1);
  });

  it('needs the token for reads too when the config says so', async () => {
    const config = join(d.root, 'read-token.yaml');
    writeFileSync(config, 'api:\n  read: token\n');
    await d.stopCollector();
    await d.startCollector(['--config', config]);
    expect((await call('/api/v1/agents')).status).toBe(401);
    expect((await fetch(`${d.apiUrl}/metrics`)).status).toBe(401);
    expect((await call('/api/v1/agents', { token })).status).toBe(200);
    // The console's files carry no data and load without it.
    expect((await fetch(`${d.apiUrl}/`)).status).toBe(200);
    await d.stopCollector();
    await d.startCollector();
  });
});

describe('collector config and notify test', () => {
  it('refuses a bad config before anything starts, naming the file, the key and what was expected', async () => {
    const bad = join(d.root, 'bad.yaml');
    writeFileSync(bad, 'notify:\n  notifiers:\n    hook: { type: webhook, url: "ftp://192.0.2.1/x" }\n');
    const check = await runCli('collector', ['check-config', bad]);
    expect(check.code).toBe(2);
    expect(check.stderr).toContain(`${bad}: notify.notifiers.hook.url: expected an http:// or https:// URL`);
    writeFileSync(bad, 'notify:\n  rules:\n    - { name: r, match: {}, notify: [missing] }\n');
    const run = await runCli('collector', ['run', '--data-dir', d.collectorDir, '--config', bad, '--listen', '127.0.0.1:0', '--http', '127.0.0.1:0']);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/notify\.rules\[0\]\.notify\[0\]: rule "r" names notifier "missing", which is not defined/);
    expect(run.stdout).not.toContain('collector listening');
    writeFileSync(bad, 'state:\n  flap_window: soon\n');
    expect((await runCli('collector', ['check-config', bad])).stderr).toMatch(/state\.flap_window: expected a duration/);
  });

  it('sends a test notification through a rule and reports each notifier', async () => {
    const hook = await WebhookReceiver.start();
    try {
      const file = join(d.root, 'notify.yaml');
      writeFileSync(
        file,
        [
          'notify:',
          '  notifiers:',
          `    hook: { type: webhook, url: "${hook.url}" }`,
          '    broken: { type: command, argv: ["/bin/sh", "-c", "echo nope >&2; exit 3"] }',
          '  rules:',
          '    - { name: ops, match: { statuses: [CRITICAL] }, notify: [hook, broken] }',
          '',
        ].join('\n'),
      );
      const res = await runCli('collector', ['notify', 'test', 'ops', '--config', file, '--json']);
      expect(res.code).toBe(1);
      const outcomes = JSON.parse(res.stdout) as { notifier: string; ok: boolean; error?: string }[];
      expect(outcomes.find((o) => o.notifier === 'hook')).toMatchObject({ ok: true });
      expect(outcomes.find((o) => o.notifier === 'broken')).toMatchObject({ ok: false, error: expect.stringContaining('nope') });
      expect(hook.matching({ kind: 'test', rule: 'ops' })).toHaveLength(1);
      const unknown = await runCli('collector', ['notify', 'test', 'nope', '--config', file]);
      expect(unknown.code).toBe(2);
      expect(unknown.stderr).toMatch(/"nope" is not defined \(defined: ops\)/);
    } finally {
      await hook.stop();
    }
  });
});
