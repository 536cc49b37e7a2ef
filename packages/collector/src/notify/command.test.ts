import { readFileSync } from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MAX_STDERR_BYTES, runCommand } from './command.js';
import type { CommandNotifierConfig } from './config.js';
import { alertEvent, TempDatabase } from './notify-test-peers.js';
import type { NotificationPayload } from './types.js';

let dir: TempDatabase;
beforeEach(() => {
  dir = new TempDatabase();
});
afterEach(() => {
  dir.remove();
});

function notifier(argv: string[], timeoutMs = 10_000): CommandNotifierConfig {
  return { type: 'command', argv, timeoutMs, retries: 0, backoffMinMs: 10, backoffMaxMs: 10 };
}

const payload: NotificationPayload = { ...alertEvent(), rule: 'critical-ot', notifier: 'pager', sentAt: 1_700_000_001_000 };

const WRITE_STDIN = `
import { readFileSync, writeFileSync } from 'node:fs';
const stdin = readFileSync(0, 'utf8');
const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => k.startsWith('OUTPOST_')));
writeFileSync(process.argv[2], JSON.stringify({ stdin, env, args: process.argv.slice(3) }));
`;

describe('runCommand', () => {
  it('runs argv without a shell, the payload on stdin and the event in the environment', async () => {
    const out = dir.path('out.json');
    // A shell would expand this; argv passes it through untouched.
    const outcome = await runCommand(notifier(dir.script('write.mjs', WRITE_STDIN, out, '$HOME;*')), payload);
    expect(outcome).toEqual({ ok: true, status: 0 });
    const seen = JSON.parse(readFileSync(out, 'utf8')) as { stdin: string; env: Record<string, string>; args: string[] };
    expect(JSON.parse(seen.stdin)).toEqual(payload);
    expect(seen.args).toEqual(['$HOME;*']);
    expect(seen.env).toEqual({
      OUTPOST_EVENT_KIND: 'check',
      OUTPOST_AGENT: 'lab-1',
      OUTPOST_CHECK: 'web',
      OUTPOST_STATUS: 'CRITICAL',
      OUTPOST_RULE: 'critical-ot',
      OUTPOST_NOTIFIER: 'pager',
    });
  });

  it('passes empty check and status for agent-level events', async () => {
    const out = dir.path('out.json');
    await runCommand(notifier(dir.script('write.mjs', WRITE_STDIN, out)), { ...payload, kind: 'agent_back', check: null, to: null });
    const seen = JSON.parse(readFileSync(out, 'utf8')) as { env: Record<string, string> };
    expect(seen.env).toMatchObject({ OUTPOST_EVENT_KIND: 'agent_back', OUTPOST_CHECK: '', OUTPOST_STATUS: '' });
  });

  it('reports a non-zero exit with its stderr', async () => {
    const argv = dir.script('fail.mjs', `process.stderr.write('pager service down\\n'); process.exit(3);`);
    const outcome = await runCommand(notifier(argv), payload);
    expect(outcome.ok).toBe(false);
    expect(outcome.status).toBe(3);
    expect(outcome.error).toContain('exited with 3: pager service down');
  });

  it('keeps at most 4 KiB of stderr', async () => {
    const argv = dir.script('noisy.mjs', `process.stderr.write('x'.repeat(100_000), () => process.exit(1));`);
    const outcome = await runCommand(notifier(argv), payload);
    expect(outcome.status).toBe(1);
    expect(outcome.error!.match(/x{10,}/)![0].length).toBe(MAX_STDERR_BYTES);
  });

  it('terminates a program past its timeout with SIGTERM', async () => {
    const argv = dir.script('sleep.mjs', `setTimeout(() => {}, 60_000);`);
    const outcome = await runCommand(notifier(argv, 300), payload);
    expect(outcome.ok).toBe(false);
    expect(outcome.error).toContain('timed out after 300 ms (ended by SIGTERM)');
  });

  it('kills a program that ignores SIGTERM', { timeout: 30_000 }, async () => {
    const marker = dir.path('ignoring');
    const argv = dir.script(
      'stubborn.mjs',
      `import { writeFileSync } from 'node:fs'; process.on('SIGTERM', () => {}); writeFileSync(process.argv[2], 'up'); setInterval(() => {}, 1000);`,
      marker,
    );
    // Long enough for node to start and install its handler even on a busy machine.
    const outcome = await runCommand(notifier(argv, 5_000), payload);
    expect(readFileSync(marker, 'utf8')).toBe('up');
    expect(outcome.error).toContain('(ended by SIGKILL)');
  });

  it('reports a program that does not exist as data', async () => {
    const outcome = await runCommand(notifier([dir.path('no-such-program')]), payload);
    expect(outcome.ok).toBe(false);
    expect(outcome.error).toContain('ENOENT');
  });

  it('does not mind a program that ignores its stdin', async () => {
    const argv = dir.script('quiet.mjs', `process.exit(0);`);
    expect(await runCommand(notifier(argv), { ...payload, message: 'y'.repeat(1_000_000) })).toEqual({ ok: true, status: 0 });
  });
});
