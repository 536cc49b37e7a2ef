import { execFile, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync, realpathSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { TestDeployment } from './support/deployment.js';
import { eventually, tempDir } from './support/processes.js';

const ROOT = resolve(import.meta.dirname, '..');
const run = promisify(execFile);

// The repository's node_modules/.bin and the workspace are nowhere on this PATH: only Node
// itself and the base system, as on a segment host with Node 20 installed and no network.
const ENV = { PATH: `${dirname(process.execPath)}:/usr/bin:/bin`, OUTPOST_LOG_FORMAT: 'json' };

const cleanups: (() => Promise<void> | void)[] = [];
afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
});

interface BundleOutput {
  archive: string;
  sha256: string;
  bytes: number;
  name: string;
}

describe('offline agent bundle', () => {
  it('builds one archive that, unpacked elsewhere, enrols and delivers results with only Node on PATH', async () => {
    const out = tempDir('bundle-out');
    cleanups.push(out.cleanup);
    const built = await run(process.execPath, [join(ROOT, 'scripts/bundle-agent.mjs'), '--out-dir', out.path], { cwd: ROOT, timeout: 300_000 });
    const bundle = JSON.parse(built.stdout.trim().split('\n').pop()!) as BundleOutput;
    expect(bundle.archive).toBe(join(out.path, `${bundle.name}.tar.gz`));
    expect(bundle.name).toMatch(/^outpost-agent-\d+\.\d+\.\d+-linux-x64$/);
    const digest = createHash('sha256').update(readFileSync(bundle.archive)).digest('hex');
    expect(readFileSync(`${bundle.archive}.sha256`, 'utf8')).toBe(`${digest}  ${bundle.name}.tar.gz\n`);

    const site = tempDir('bundle-site');
    cleanups.push(site.cleanup);
    await run('tar', ['-xzf', bundle.archive, '-C', site.path], { env: ENV });
    const home = realpathSync(join(site.path, bundle.name));
    const listing = (await run('tar', ['-tzf', bundle.archive], { env: ENV })).stdout.split('\n');
    for (const file of ['bin/outpost-agent', 'outpost-agent', 'outpost-agent.yaml.sample', 'outpost-agent.service', 'README.md', 'node_modules/better-sqlite3/build/Release/better_sqlite3.node']) {
      expect(listing).toContain(`${bundle.name}/${file}`);
    }
    // Compiled module only: no SQLite sources, no install-time tooling.
    expect(listing.filter((f) => f.includes('better-sqlite3/deps/') || f.includes('better-sqlite3/src/') || f.includes('/prebuild-install/'))).toEqual([]);

    const d = await TestDeployment.create();
    cleanups.push(() => d.cleanup());
    await d.startCollector();
    const token = await d.token();

    const config = join(home, 'etc', 'agent.yaml');
    const init = await run(
      './bin/outpost-agent',
      ['init', '--config', config, '--name', 'bundled', '--collector', `wss://127.0.0.1:${d.port}`, '--collector-key', d.collectorKey,
        '--tls-fingerprint', d.fingerprint, '--token', token],
      { cwd: home, env: ENV },
    );
    expect(init.stdout).toContain('agent key');
    const doc = parse(readFileSync(config, 'utf8')) as Record<string, unknown>;
    doc['uplink'] = { heartbeat_interval: '500ms', backoff_min: '50ms', backoff_max: '500ms' };
    doc['checks'] = [{ id: 'collector-api', type: 'tcp', target: `127.0.0.1:${d.httpPort}`, expect: 'open', interval: '200ms', jitter: '0%' }];
    writeFileSync(config, stringify(doc), { mode: 0o600 });

    const agent = spawn('./bin/outpost-agent', ['run', '--config', config], { cwd: home, env: ENV, stdio: ['ignore', 'pipe', 'pipe'] });
    const exited = new Promise<number | null>((r) => agent.once('exit', (code) => r(code)));
    const output: string[] = [];
    agent.stdout.on('data', (chunk: Buffer) => output.push(chunk.toString()));
    agent.stderr.on('data', (chunk: Buffer) => output.push(chunk.toString()));
    cleanups.push(async () => {
      if (agent.exitCode === null && agent.signalCode === null) agent.kill('SIGKILL');
      await exited;
    });

    const results = await eventually(
      'results from the bundled agent in the API',
      async () => {
        const view = await d.api<{ results: { agent: string; check: string; status: string; observation: string }[] }>('/api/v1/results?agent=bundled&limit=50');
        return view.results.length >= 3 ? view.results : undefined;
      },
      60_000,
    ).catch((err: unknown) => {
      throw new Error(`${String(err)}\nagent output:\n${output.join('')}`);
    });
    expect(results.every((r) => r.agent === 'bundled' && r.check === 'collector-api' && r.status === 'OK' && r.observation === 'open')).toBe(true);

    // The launcher exec'd Node in place: this process loaded the bundle's SQLite module, not the repository's.
    const maps = readFileSync(`/proc/${agent.pid}/maps`, 'utf8');
    expect(maps).toContain(join(home, 'node_modules/better-sqlite3/build/Release/better_sqlite3.node'));
    expect(maps).not.toContain(join(ROOT, 'node_modules'));

    agent.kill('SIGTERM');
    expect(await exited).toBe(0);
  }, 420_000);
});
