import { writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestDeployment } from './support/deployment.js';
import { eventually, runCli } from './support/processes.js';

// Central control: a config set at the collector reaches the agent signed, runs there,
// survives a restart; a broken one or one that touches local-only settings is refused by
// the agent, which keeps what runs and says why.

interface ConfigView { version: number; running: number; error: string | null; config: string | null }

let d: TestDeployment;
let service: Server;
let servicePort = 0;
let token = '';

const configOf = () => d.api<ConfigView>('/api/v1/agents/lab-1/config');
const checkIds = async () => (await d.api<{ checks: { check: string }[] }>('/api/v1/checks?agent=lab-1')).checks.map((c) => c.check).sort();
const resultsOf = async (check: string) => (await d.api<{ results: unknown[] }>(`/api/v1/results?agent=lab-1&check=${check}&limit=10000`)).results.length;

async function setConfig(name: string, text: string): Promise<number> {
  const file = join(d.root, name);
  writeFileSync(file, text);
  const res = await runCli('collector', ['config', 'set', 'lab-1', file, '--data-dir', d.collectorDir, '--json']);
  if (res.code !== 0) throw new Error(`config set failed: ${res.stderr}`);
  return (JSON.parse(res.stdout) as { version: number }).version;
}

beforeAll(async () => {
  service = createServer((socket) => {
    socket.on('error', () => {}); // the check may reset its connection
    socket.end();
  });
  await new Promise<void>((resolve) => service.listen(0, '127.0.0.1', resolve));
  servicePort = (service.address() as { port: number }).port;
  d = await TestDeployment.create();
  token = (await runCli('collector', ['api-token', '--data-dir', d.collectorDir])).stdout.trim();
  await d.startCollector();
  await d.initAgent('lab-1', { checks: [{ id: 'local', type: 'tcp', target: `127.0.0.1:${servicePort}`, interval: '500ms' }] });
  d.startAgent('lab-1');
  await eventually('the local check reports', async () => ((await resultsOf('local')) > 0 ? true : undefined), 30_000);
}, 60_000);

afterAll(async () => {
  await d?.cleanup();
  await new Promise((resolve) => service?.close(resolve));
});

describe('signed remote config', () => {
  it('reaches the connected agent, which runs the new checks and reports the version', async () => {
    const version = await setConfig('v1.yaml', `checks:\n  - { id: pushed, type: tcp, target: "127.0.0.1:${servicePort}", interval: 500ms }\n`);
    expect(version).toBe(1);
    await eventually('the pushed check reports', async () => ((await resultsOf('pushed')) > 0 ? true : undefined), 30_000);
    await eventually('the agent reports v1', async () => ((await configOf()).running === 1 ? true : undefined), 30_000);
    expect(await configOf()).toMatchObject({ version: 1, running: 1, error: null });
    // The remote check list replaced the local one: "local" stops growing.
    const before = await resultsOf('local');
    await eventually('pushed keeps running', async () => ((await resultsOf('pushed')) >= 4 ? true : undefined), 30_000);
    expect(await resultsOf('local')).toBeLessThanOrEqual(before + 1);
  });

  it('is refused by the agent when broken or when it touches local-only settings; what runs stays', async () => {
    await setConfig('v2.yaml', 'checks:\n  - { id: broken, type: tcp, target: "127.0.0.1:70000" }\n');
    await eventually('the refusal is reported', async () => ((await configOf()).error?.startsWith('v2:') ? true : undefined), 30_000);
    const refused = await configOf();
    expect(refused).toMatchObject({ version: 2, running: 1 });
    expect(refused.error).toMatch(/target/);
    await setConfig('v3.yaml', 'uplink: { window: 64 }\nchecks: []\n');
    await eventually('the second refusal', async () => ((await configOf()).error?.startsWith('v3:') ? true : undefined), 30_000);
    expect((await configOf()).error).toMatch(/"uplink", which the local file does not allow/);
    const pushed = await resultsOf('pushed');
    await eventually('v1 still runs', async () => ((await resultsOf('pushed')) > pushed + 2 ? true : undefined), 30_000);
    expect(await checkIds()).not.toContain('broken');
  });

  it('is set through the API with the token, and runs again after an agent restart', async () => {
    const anonymous = await fetch(`${d.apiUrl}/api/v1/agents/lab-1/config`, { method: 'PUT', body: 'checks: []\n' });
    expect(anonymous.status).toBe(401);
    const invalid = await fetch(`${d.apiUrl}/api/v1/agents/lab-1/config`, { method: 'PUT', headers: { authorization: `Bearer ${token}` }, body: 'agent: { name: evil }\nchecks: []\n' });
    expect(invalid.status).toBe(400);
    expect(((await invalid.json()) as { error: string }).error).toMatch(/agent: not a section a remote config may set/);
    const res = await fetch(`${d.apiUrl}/api/v1/agents/lab-1/config`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${token}` },
      body: `checks:\n  - { id: from-api, type: tcp, target: "127.0.0.1:${servicePort}", interval: 500ms }\n`,
    });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ agent: 'lab-1', version: 4 });
    await eventually('the agent runs v4', async () => ((await configOf()).running === 4 ? true : undefined), 30_000);
    await d.agents.get('lab-1')!.stop('SIGTERM');
    d.startAgent('lab-1');
    const before = await resultsOf('from-api');
    await eventually('from-api runs after the restart', async () => ((await resultsOf('from-api')) > before + 2 ? true : undefined), 30_000);
    expect((await configOf()).running).toBe(4);
  });
});
