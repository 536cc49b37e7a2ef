import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { chooseLogFormat } from './logger.js';

/** Log two lines from a child process whose stdout is a pipe, as under systemd or a test harness. */
async function logFromChild(env: Record<string, string>): Promise<string> {
  const logger = join(import.meta.dirname, 'logger.ts');
  const code = `const { createLogger } = await import(${JSON.stringify(logger)}); const log = createLogger('outpost-collector'); log.info({ port: 41121 }, 'collector listening'); log.warn('last words'); process.exit(0);`;
  const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', code], {
    cwd: import.meta.dirname,
    env: { ...process.env, OUTPOST_LOG_FORMAT: '', OUTPOST_LOG_LEVEL: 'info', ...env },
    timeout: 30_000,
  });
  return stdout;
}

describe('chooseLogFormat', () => {
  it.each([
    [true, undefined, 'pretty'],
    [false, undefined, 'json'],
    [true, 'json', 'json'],
    [false, 'pretty', 'pretty'],
    [false, ' PRETTY ', 'pretty'],
    [true, 'yaml', 'pretty'],
    [false, '', 'json'],
  ] as const)('isTTY %s, OUTPOST_LOG_FORMAT=%j → %s', (isTTY, value, expected) => {
    expect(chooseLogFormat({ isTTY, env: { OUTPOST_LOG_FORMAT: value } })).toBe(expected);
  });
});

describe('createLogger', () => {
  it('writes one JSON object per line when stdout is not a terminal, the last line before exit included', async () => {
    const lines = (await logFromChild({})).trimEnd().split('\n');
    expect(lines.map((line) => JSON.parse(line) as Record<string, unknown>)).toEqual([
      expect.objectContaining({ level: 30, name: 'outpost-collector', port: 41121, msg: 'collector listening' }),
      expect.objectContaining({ level: 40, name: 'outpost-collector', msg: 'last words' }),
    ]);
  });

  it('writes the readable form, without colour codes, when OUTPOST_LOG_FORMAT=pretty on a pipe', async () => {
    const out = await logFromChild({ OUTPOST_LOG_FORMAT: 'pretty' });
    expect(out).toMatch(/^\[\d\d:\d\d:\d\d\.\d{3}\] INFO \(outpost-collector\): collector listening\n {4}port: 41121\n\[[\d:.]+\] WARN \(outpost-collector\): last words\n$/);
  });
});
