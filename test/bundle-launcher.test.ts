import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { copyFileSync, mkdirSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { TestDeployment } from './support/deployment.js';
import { eventually, freePort, tempDir } from './support/processes.js';

// The one-file agent (scripts/build-agent-bundle.mjs) and how bin/outpost-agent.js picks it.

const ROOT = resolve(import.meta.dirname, '..');
const LAUNCHER = join(ROOT, 'packages/agent/bin/outpost-agent.js');
const BUNDLE = join(ROOT, 'packages/agent/dist/bundle/outpost-agent.mjs');
const run = promisify(execFile);

const cleanups: (() => Promise<void> | void)[] = [];
afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
});

describe('bin/outpost-agent.js', () => {
  // The real launcher in a package tree of its own, whose two builds say which one ran.
  let tree: string;
  const fake = (which: string) =>
    `export async function main() { process.stdout.write(JSON.stringify({ ran: '${which}', args: process.argv.slice(2), preset: process.env.OUTPOST_AGENT_V8_FLAGS ?? null }) + '\\n'); }\n`;
  const at = (path: string, seconds: number) => utimesSync(join(tree, path), seconds, seconds);
  async function launch(args: string[], env: Record<string, string> = {}): Promise<{ ran: string; args: string[]; preset: string | null; stderr: string }> {
    const out = await run(process.execPath, [join(tree, 'agent/bin/outpost-agent.js'), ...args], { env: { PATH: process.env['PATH'] ?? '', ...env }, timeout: 30_000 });
    return { ...(JSON.parse(out.stdout) as { ran: string; args: string[]; preset: string | null }), stderr: out.stderr };
  }

  beforeAll(() => {
    const dir = tempDir('launcher');
    cleanups.push(dir.cleanup);
    tree = dir.path;
    for (const sub of ['agent/bin', 'agent/dist/bundle', 'protocol/dist']) mkdirSync(join(tree, sub), { recursive: true });
    copyFileSync(LAUNCHER, join(tree, 'agent/bin/outpost-agent.js'));
    writeFileSync(join(tree, 'agent/package.json'), '{ "type": "module" }\n');
    writeFileSync(join(tree, 'agent/dist/cli.js'), fake('dist'));
  });

  afterEach(() => {
    rmSync(join(tree, 'agent/dist/bundle/outpost-agent.mjs'), { force: true });
    for (const info of ['agent/dist/.tsbuildinfo', 'protocol/dist/.tsbuildinfo']) rmSync(join(tree, info), { force: true });
  });

  it('runs the bundle when it is there and not older than the compiled agent and protocol', async () => {
    writeFileSync(join(tree, 'agent/dist/bundle/outpost-agent.mjs'), fake('bundle'));
    writeFileSync(join(tree, 'agent/dist/.tsbuildinfo'), '{}');
    writeFileSync(join(tree, 'protocol/dist/.tsbuildinfo'), '{}');
    at('agent/dist/.tsbuildinfo', 1_000);
    at('protocol/dist/.tsbuildinfo', 1_000);
    at('agent/dist/bundle/outpost-agent.mjs', 2_000);
    expect(await launch(['run', '--config', 'a.yaml'])).toEqual({ ran: 'bundle', args: ['run', '--config', 'a.yaml'], preset: 'auto', stderr: '' });
    // Only run and relay get V8 flags and a preset.
    expect(await launch(['status', '--config', 'a.yaml'])).toMatchObject({ ran: 'bundle', preset: null });
    expect(await launch(['run', '--config', 'a.yaml'], { OUTPOST_AGENT_V8_FLAGS: 'full' })).toMatchObject({ ran: 'bundle', preset: 'full' });
    expect(await launch(['run', '--config', 'a.yaml'], { OUTPOST_AGENT_BUNDLE: '0' })).toMatchObject({ ran: 'dist' });
  });

  it('runs dist/cli.js without a bundle, and instead of one older than the last compile', async () => {
    expect(await launch(['run', '--config', 'a.yaml'])).toMatchObject({ ran: 'dist', stderr: '' });

    writeFileSync(join(tree, 'agent/dist/bundle/outpost-agent.mjs'), fake('bundle'));
    writeFileSync(join(tree, 'agent/dist/.tsbuildinfo'), '{}');
    at('agent/dist/bundle/outpost-agent.mjs', 1_000);
    at('agent/dist/.tsbuildinfo', 2_000);
    const stale = await launch(['run', '--config', 'a.yaml']);
    expect(stale).toMatchObject({ ran: 'dist' });
    expect(stale.stderr).toContain('outpost-agent.mjs is older than the compiled agent; running dist/cli.js');
    // Other commands keep their output as scripts expect it.
    expect(await launch(['status', '--config', 'a.yaml'])).toMatchObject({ ran: 'dist', stderr: '' });

    at('agent/dist/.tsbuildinfo', 500);
    writeFileSync(join(tree, 'protocol/dist/.tsbuildinfo'), '{}');
    at('protocol/dist/.tsbuildinfo', 2_000);
    expect(await launch(['run', '--config', 'a.yaml'])).toMatchObject({ ran: 'dist' });
    at('protocol/dist/.tsbuildinfo', 500);
    expect(await launch(['run', '--config', 'a.yaml'])).toMatchObject({ ran: 'bundle' });
  });
});

describe('the one-file agent', () => {
  let deployment: TestDeployment | undefined;
  let child: ChildProcess | undefined;
  afterEach(async () => {
    if (child && child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((r) => child!.once('exit', r));
      child.kill('SIGKILL');
      await exited;
    }
    child = undefined;
    await deployment?.cleanup();
    deployment = undefined;
  });

  beforeAll(async () => {
    await run(process.execPath, [join(ROOT, 'scripts/build-agent-bundle.mjs')], { cwd: ROOT, timeout: 120_000 });
  });

  it('runs `outpost-agent run` end to end: checks, outbox, signed upload, collector state', async () => {
    const d = (deployment = await TestDeployment.create());
    await d.startCollector();
    await d.initAgent('bundled', {
      checks: [
        { id: 'listener', type: 'tcp', target: `127.0.0.1:${d.port}`, expect: 'open', interval: '200ms', jitter: '0%' },
        { id: 'refused', type: 'tcp', target: `127.0.0.1:${await freePort()}`, interval: '200ms', jitter: '0%' },
      ],
    });
    // The bundle itself, not the launcher: what runs here is that file and nothing from dist/.
    const lines: string[] = [];
    child = spawn(process.execPath, ['--input-type=module', '-e', 'const { main } = await import(process.argv[1]); await main(process.argv.slice(2));', BUNDLE, 'run', '--config', d.configPath('bundled')], {
      env: { ...process.env, OUTPOST_LOG_FORMAT: 'json', OUTPOST_AGENT_V8_FLAGS: 'auto' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    for (const stream of [child.stdout!, child.stderr!]) stream.on('data', (chunk: Buffer) => lines.push(...chunk.toString('utf8').split('\n').filter(Boolean)));

    const ids = await eventually('20 results at the collector', () => {
      const stored = d.collectorResultIds('bundled');
      return stored.length >= 20 ? stored : undefined;
    });
    expect(ids.slice(0, 20)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
    const states = await d.api<{ checks: { agent: string; check: string; status: string }[] }>('/api/v1/checks');
    expect(states.checks.filter((c) => c.agent === 'bundled').map((c) => `${c.check}=${c.status}`).sort()).toEqual(['listener=OK', 'refused=CRITICAL']);
    expect(lines.some((l) => l.includes('V8 compilers off (auto preset, 10.0 checks/s configured)'))).toBe(true);

    const exited = new Promise<number | null>((r) => child!.once('exit', (code) => r(code)));
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(lines.some((l) => l.includes('agent stopped'))).toBe(true);
  });

  it('runs the commands it loads on demand: check (yargs) and scan (the port scanner from dist/)', async () => {
    const port = await freePort();
    const main = 'const { main } = await import(process.argv[1]); await main(process.argv.slice(2));';
    // Nagios exit code 2 (CRITICAL): execFile rejects, with the output on the error.
    const check = await run(process.execPath, ['--input-type=module', '-e', main, BUNDLE, 'check', 'tcp', `127.0.0.1:${port}`, '--json'], { timeout: 30_000 }).then(
      () => ({ code: 0, stdout: '' }),
      (err: { stdout: string; code: number }) => err,
    );
    expect(check.code).toBe(2);
    expect(JSON.parse(check.stdout)).toMatchObject({ check: 'tcp', status: 'CRITICAL', observation: 'closed' });
    const scan = await run(process.execPath, ['--input-type=module', '-e', main, BUNDLE, 'scan', '127.0.0.1', '-p', String(port), '--json'], { timeout: 30_000 });
    expect(JSON.parse(scan.stdout)).toMatchObject({ hosts: [{ target: '127.0.0.1', open: [] }] });
  });
});

describe('the auto V8 preset through the launcher', () => {
  let deployment: TestDeployment | undefined;
  afterEach(async () => {
    await deployment?.cleanup();
    deployment = undefined;
  });

  it('keeps an agent with few checks a second lean, and turns the compilers on for one with many', async () => {
    const d = (deployment = await TestDeployment.create());
    await d.startCollector();
    const closed = `127.0.0.1:${await freePort()}`;
    await d.initAgent('quiet', { checks: [{ id: 'q', type: 'tcp', target: closed, interval: '60s' }] });
    await d.initAgent('busy', { checks: Array.from({ length: 60 }, (_, i) => ({ id: `b${i}`, type: 'tcp', target: closed, interval: '1s' })) });
    const quiet = d.startAgent('quiet');
    const busy = d.startAgent('busy');
    expect(await quiet.waitForLine((l) => l.includes('V8 compilers'))).toContain('V8 compilers off (auto preset, 0.0 checks/s configured)');
    expect(await busy.waitForLine((l) => l.includes('V8 compilers'))).toContain('V8 compilers on: 60 checks/s configured (more than 50)');
    await eventually('results of the busy agent at the collector', () => (d.collectorResultIds('busy').length >= 60 ? true : undefined));
  });
});
