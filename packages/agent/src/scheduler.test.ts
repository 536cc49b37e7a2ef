import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import type { CheckType } from './checks/index.js';
import type { ResolvedCheck } from './config.js';
import type { NewResult } from './outbox.js';
import { Scheduler } from './scheduler.js';

/** A check that counts its runs in its own memory and reports the count as a metric. */
const counting: CheckType<unknown> = {
  type: 'counting',
  schema: z.unknown(),
  describe: () => 'memory',
  metrics: () => ['runs'],
  run: async (_config, { memory }) => {
    const runs = ((memory?.get() as number | undefined) ?? 0) + 1;
    memory?.set(runs);
    return { status: 'OK', observation: 'ok', message: `run ${runs}`, metrics: { runs } };
  },
};

function check(id: string, configHash = 'h1', intervalMs = 20): ResolvedCheck {
  return { id, type: counting, config: {}, intervalMs, timeoutMs: 1_000, jitterMs: 0, thresholds: {}, configHash };
}

let scheduler: Scheduler | undefined;
afterEach(async () => {
  await scheduler?.stop();
});

async function until(what: string, done: () => boolean): Promise<void> {
  for (let i = 0; i < 500 && !done(); i++) await new Promise((r) => setTimeout(r, 10));
  if (!done()) throw new Error(`timed out waiting for ${what}`);
}

describe('Scheduler.reload', () => {
  it('keeps unchanged checks with their memory, restarts changed ones, stops removed ones, starts added ones', async () => {
    const results: NewResult[] = [];
    scheduler = new Scheduler({ checks: [check('same'), check('edit'), check('gone')], maxConcurrent: 8, logger: pino({ level: 'silent' }), onResult: (r) => results.push(r), startSpreadMs: 0 });
    scheduler.start();
    const of = (id: string) => results.filter((r) => r.checkId === id);
    await until('three runs each', () => ['same', 'edit', 'gone'].every((id) => of(id).length >= 3));

    const change = scheduler.reload([check('same'), check('edit', 'h2'), check('new')]);
    expect(change).toEqual({ added: ['new'], removed: ['gone'], changed: ['edit'] });
    const goneRuns = of('gone').length;
    const editBefore = of('edit').length;
    await until('three runs of the new and the changed check', () => of('new').length >= 3 && of('edit').length >= editBefore + 3);

    // Unchanged: its memory carried on counting.
    expect(of('same').map((r) => r.metrics['runs'])).toEqual(of('same').map((_, i) => i + 1));
    // Changed: a fresh slot, so its memory started over, with the new config hash.
    const edited = of('edit').filter((r) => r.checkConfigHash === 'h2');
    expect(edited[0]!.metrics['runs']).toBe(1);
    // Removed: at most the run that was in flight reported after the reload.
    expect(of('gone').length).toBeLessThanOrEqual(goneRuns + 1);
  });
});

describe('Scheduler intervals', () => {
  it('says each check interval with its results (capped at the wire uint32), and waits out an interval past Node timer limit', async () => {
    const results: NewResult[] = [];
    const month = 30 * 86_400_000;
    scheduler = new Scheduler({
      checks: [check('fast', 'h1', 20), check('monthly', 'h1', month), check('yearly', 'h1', 365 * 86_400_000)],
      maxConcurrent: 8, logger: pino({ level: 'silent' }), onResult: (r) => results.push(r), startSpreadMs: 0,
    });
    scheduler.start();
    const of = (id: string) => results.filter((r) => r.checkId === id);
    // Twenty rounds of the fast check: time enough for a timer of 30 days that Node fired at once to run again and again.
    await until('twenty runs of the fast check', () => of('fast').length >= 20);
    expect(of('fast')[0]!.intervalMs).toBe(20);
    expect(of('monthly').map((r) => r.intervalMs)).toEqual([month]);
    expect(of('yearly').map((r) => r.intervalMs)).toEqual([2 ** 32 - 1]);
  });
});
