import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DrainProgress } from './drain-progress.js';
import { Outbox } from './outbox.js';

interface LogLine {
  msg: string;
  remaining?: number;
  ratePerSec?: number | null;
  etaSec?: number | null;
  results?: number;
  durationMs?: number;
}

let dir: string;
let outbox: Outbox;
let lines: LogLine[];
let progress: DrainProgress;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'outpost-drain-progress-'));
  outbox = Outbox.open(join(dir, 'outbox.db'));
  lines = [];
  const logger = pino({ level: 'info' }, { write: (line: string) => void lines.push(JSON.parse(line) as LogLine) });
  progress = new DrainProgress(outbox, logger);
});

afterEach(() => {
  outbox.close();
  rmSync(dir, { recursive: true, force: true });
});

/** What the uplink session writes and tells the progress when it connects. */
function connect(at: number): void {
  outbox.setMetas({ connection_state: 'connected', connected_at: String(at) });
  progress.connected(at);
}

const T0 = 1_700_000_000_000;

describe('DrainProgress', () => {
  it('reports a long drain every 10 s with the rate over that window', () => {
    connect(T0);
    progress.acked(100, 900, T0 + 2_000);
    progress.acked(100, 800, T0 + 10_000);
    const report = lines.filter((line) => line.msg === 'draining backlog').at(-1)!;
    expect(report).toMatchObject({ remaining: 800, ratePerSec: 20, etaSec: 40 });
    expect(outbox.getMeta('drain_rate')).toBe('20');
    expect(outbox.getMeta('drain_at')).toBe(String(T0 + 10_000));
  });

  it('measures a new connection from its start, not from a report made before the outage', () => {
    connect(T0);
    progress.acked(40, 0, T0 + 10_000);
    expect(outbox.getMeta('drain_rate')).toBe('4');
    // Down for a minute; 84 results wait when the link is back.
    connect(T0 + 70_000);
    progress.acked(10, 84, T0 + 70_050);
    progress.acked(84, 0, T0 + 70_051);
    const after = lines.filter((line) => line.msg === 'draining backlog' || line.msg === 'backlog drained').slice(-2);
    // The backlog is announced, but one ack 50 ms into the connection is no rate; nor are
    // 84 results acknowledged 1 ms later (84,000/s before).
    expect(after).toMatchObject([
      { msg: 'draining backlog', remaining: 84, ratePerSec: null, etaSec: null },
      { msg: 'backlog drained', results: 94, durationMs: 51, ratePerSec: null },
    ]);
    expect(outbox.getMeta('drain_rate')).toBe('');
  });

  it('gives the rate over the whole drain once it lasted long enough', () => {
    connect(T0);
    progress.acked(50, 1_000, T0 + 100);
    progress.acked(500, 500, T0 + 10_100);
    progress.acked(500, 0, T0 + 10_101);
    const drained = lines.find((line) => line.msg === 'backlog drained')!;
    expect(drained).toMatchObject({ results: 1_050, durationMs: 10_101 });
    expect(drained.ratePerSec).toBe(Math.round((1_050 / 10_101) * 1000));
  });
});
