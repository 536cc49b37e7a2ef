import { Writable } from 'node:stream';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import * as z from 'zod';
import type { CheckType } from './checks/index.js';
import type { AgentConfig, ResolvedCheck } from './config.js';
import type { Logger } from './logger.js';
import { checksPerSecond, COMPILER_FLAGS, compilersNeededFor, LEAN_MAX_BACKLOG, V8Profile, type V8ProfileOptions } from './v8-profile.js';

const tcp: CheckType<unknown> = { type: 'tcp', schema: z.unknown(), describe: () => 't', metrics: () => [], run: async () => ({ status: 'OK', observation: 'ok', message: '', metrics: {} }) };
const exposure: CheckType<unknown> = { ...tcp, type: 'exposure' };

function checks(count: number, intervalMs: number, type = tcp): ResolvedCheck[] {
  return Array.from({ length: count }, (_, i) => ({ id: `c${i}`, type, config: {}, intervalMs, timeoutMs: 1_000, jitterMs: 0, thresholds: {}, configHash: 'h' }));
}

/** Only what V8Profile reads; the rest of a config plays no part. */
function config(list: ResolvedCheck[], relay = false): AgentConfig {
  return { checks: list, relay: relay ? {} : undefined } as unknown as AgentConfig;
}

/** A logger whose lines the test reads, and the flags a profile would have set. */
function watch(): { logger: Logger; lines: string[]; flags: string[] } {
  const lines: string[] = [];
  const stream = new Writable({ write: (chunk: Buffer, _enc, done) => (lines.push(...chunk.toString('utf8').trim().split('\n')), done()) });
  return { logger: pino({ level: 'info' }, stream), lines, flags: [] };
}

let profile: V8Profile | undefined;
afterEach(() => {
  profile?.stop();
  profile = undefined;
});

/** What run-command does: the profile before the config file is read, then the config. */
async function started(cfg: AgentConfig, options: V8ProfileOptions): Promise<V8Profile> {
  const created = await V8Profile.create(options);
  await created.start(cfg);
  return created;
}

async function until(what: string, done: () => boolean): Promise<void> {
  for (let i = 0; i < 400 && !done(); i++) await new Promise((r) => setTimeout(r, 25));
  if (!done()) throw new Error(`timed out waiting for ${what}`);
}

describe('compilersNeededFor', () => {
  it('leaves 1000 checks a minute to the interpreter', () => {
    const thousand = config(checks(1_000, 60_000));
    expect(checksPerSecond(thousand)).toBeCloseTo(16.67, 2);
    expect(compilersNeededFor(thousand)).toBeUndefined();
  });

  it('wants the compilers above 50 checks a second, for any port scan and for a relay', () => {
    expect(compilersNeededFor(config(checks(60, 1_000)))).toBe('60 checks/s configured (more than 50)');
    expect(compilersNeededFor(config([...checks(3, 60_000), ...checks(1, 86_400_000, exposure)]))).toBe('check c0 is a port scan');
    expect(compilersNeededFor(config(checks(1, 60_000), true))).toBe('relay mode');
  });
});

describe('V8Profile', () => {
  it('under auto stays lean for few checks, then turns the compilers on once a reload asks for many', async () => {
    const w = watch();
    profile = await started(config(checks(10, 60_000)), { preset: 'auto', logger: w.logger, backlog: () => 0, setFlags: (f) => w.flags.push(f) });
    expect(profile.compilers).toBe(false);
    expect(w.flags).toEqual([]);
    expect(w.lines.some((l) => l.includes('V8 compilers off (auto preset, 0.2 checks/s configured)'))).toBe(true);
    profile.fit(config(checks(20, 60_000)));
    expect(w.flags).toEqual([]);
    profile.fit(config(checks(200, 1_000)));
    expect(profile.compilers).toBe(true);
    expect(w.flags).toEqual(COMPILER_FLAGS);
    expect(w.lines.at(-1)).toContain('V8 compilers on: 200 checks/s configured (more than 50)');
    profile.fit(config(checks(400, 1_000)));
    expect(w.flags).toEqual(COMPILER_FLAGS);
  });

  it('under auto turns the compilers on at start for a config that needs them', async () => {
    const w = watch();
    profile = await started(config(checks(1, 60_000), true), { preset: 'auto', logger: w.logger, backlog: () => 0, setFlags: (f) => w.flags.push(f) });
    expect(profile.compilers).toBe(true);
    expect(w.flags).toEqual(COMPILER_FLAGS);
  });

  it('under auto turns the compilers on for a large backlog, at start or when one builds up', async () => {
    const w = watch();
    profile = await started(config(checks(1, 60_000)), { preset: 'auto', logger: w.logger, backlog: () => LEAN_MAX_BACKLOG + 1, setFlags: (f) => w.flags.push(f) });
    expect(profile.compilers).toBe(true);
    profile.stop();

    const later = watch();
    let backlog = 0;
    profile = await started(config(checks(1, 60_000)), { preset: 'auto', logger: later.logger, backlog: () => backlog, setFlags: (f) => later.flags.push(f) });
    expect(profile.compilers).toBe(false);
    backlog = 1_440_000;
    await until('the compilers for the backlog', () => profile!.compilers);
    expect(later.flags).toEqual(COMPILER_FLAGS);
    expect(later.lines.at(-1)).toContain('V8 compilers on: 1440000 results to upload (more than 10000)');
  });

  it('never turns them on under lean, and leaves any other preset alone', async () => {
    const lean = watch();
    profile = await started(config(checks(500, 1_000)), { preset: 'lean', logger: lean.logger, backlog: () => 1_000_000, setFlags: (f) => lean.flags.push(f) });
    profile.fit(config(checks(900, 1_000)));
    expect(profile.compilers).toBe(false);
    expect(lean.flags).toEqual([]);
    profile.stop();

    for (const preset of ['full', undefined, '--max-old-space-size=64']) {
      const other = watch();
      profile = await started(config(checks(1, 60_000)), { preset, logger: other.logger, backlog: () => 0, setFlags: (f) => other.flags.push(f) });
      expect(profile.compilers).toBe(true);
      expect(other.flags).toEqual([]);
      expect(other.lines).toEqual([]);
      profile.stop();
    }
  });
});
