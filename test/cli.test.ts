import { writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, runCli, tempDir } from './support/processes.js';

const dir = tempDir('cli');
let listener: Server;
let openPort = 0;

beforeAll(async () => {
  listener = createServer((socket) => socket.destroy());
  await new Promise<void>((resolve) => listener.listen(0, '127.0.0.1', resolve));
  openPort = (listener.address() as { port: number }).port;
});

afterAll(() => {
  listener.close();
  dir.cleanup();
});

describe('outpost-agent check (Nagios conventions)', () => {
  it('exits 0 with perfdata for an open port expected open', async () => {
    const res = await runCli('agent', ['check', 'tcp', `127.0.0.1:${openPort}`, '--expect', 'open']);
    expect(res.code).toBe(0);
    expect(res.stdout).toMatch(new RegExp(`^TCP OK - 127\\.0\\.0\\.1:${openPort} open in [\\d.]+ ms \\| connect_ms=[\\d.]+ms;;;;\\n$`));
  });

  it('exits 2 for a closed port expected open, 0 when expected closed', async () => {
    const closed = await freePort();
    const critical = await runCli('agent', ['check', 'tcp', `127.0.0.1:${closed}`]);
    expect(critical.code).toBe(2);
    expect(critical.stdout).toContain('TCP CRITICAL');
    expect(critical.stdout).toContain('closed (connection refused)');
    const ok = await runCli('agent', ['check', 'tcp', `127.0.0.1:${closed}`, '--expect', 'closed', '--json']);
    expect(ok.code).toBe(0);
    expect(JSON.parse(ok.stdout)).toMatchObject({ status: 'OK', observation: 'closed', target: `127.0.0.1:${closed}` });
  });

  it('exits 3 (UNKNOWN) on a malformed target or an unknown type', async () => {
    const bad = await runCli('agent', ['check', 'tcp', '127.0.0.1:0']);
    expect(bad.code).toBe(3);
    expect(bad.stdout).toMatch(/^TCP UNKNOWN - target: expected "host:port"/);
    const unknown = await runCli('agent', ['check', 'gopher', 'x']);
    expect(unknown.code).toBe(3);
  });
});

describe('bad config stops the agent before anything starts', () => {
  it.each([
    ['a missing file', null, /missing\.yaml: \(top level\): cannot read the config file \(ENOENT\)/],
    ['invalid YAML', 'agent: [', /bad\.yaml: \(top level\): invalid YAML/],
    ['an unknown key', 'agent: { name: a, nmae: b }\n', /bad\.yaml: agent: unknown key "nmae"/],
  ])('%s: exit 2 and one line naming the file and key', async (_, text, message) => {
    const file = join(dir.path, text === null ? 'missing.yaml' : 'bad.yaml');
    if (text !== null) writeFileSync(file, text);
    const res = await runCli('agent', ['run', '--config', file]);
    expect(res.code).toBe(2);
    expect(res.stderr).toMatch(message);
    expect(res.stderr.trim().split('\n')).toHaveLength(1);
    expect(res.stdout).toBe('');
  });

  it('refuses a key file that others can read', async () => {
    const collector = join(dir.path, 'c');
    const init = JSON.parse((await runCli('collector', ['init', '--data-dir', collector, '--json'])).stdout) as { collectorKey: string; tlsFingerprint: string };
    const config = join(dir.path, 'a', 'agent.yaml');
    const res = await runCli('agent', ['init', '--config', config, '--name', 'a', '--collector', 'wss://127.0.0.1:41121', '--collector-key', init.collectorKey, '--tls-fingerprint', init.tlsFingerprint]);
    expect(res.code).toBe(0);
    const { chmodSync } = await import('node:fs');
    chmodSync(join(dir.path, 'a', 'data', 'agent.key'), 0o644);
    const run = await runCli('agent', ['run', '--config', config]);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/agent\.key: key file has mode 644, expected 600/);
  });
});

describe('outpost-collector', () => {
  it('rejects a malformed listen address with exit 2', async () => {
    const res = await runCli('collector', ['run', '--data-dir', join(dir.path, 'c2'), '--listen', 'nowhere']);
    expect(res.code).toBe(2);
    expect(res.stderr).toMatch(/--listen nowhere: expected HOST:PORT/);
  });

  it('init is idempotent and keeps the identity', async () => {
    const data = join(dir.path, 'c3');
    const first = JSON.parse((await runCli('collector', ['init', '--data-dir', data, '--json'])).stdout) as { created: boolean; collectorKey: string };
    const again = JSON.parse((await runCli('collector', ['init', '--data-dir', data, '--json'])).stdout) as { created: boolean; collectorKey: string };
    expect(first.created).toBe(true);
    expect(again).toMatchObject({ created: false, collectorKey: first.collectorKey });
  });
});
