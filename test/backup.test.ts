import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { range, TestDeployment } from './support/deployment.js';
import { eventually, runCli } from './support/processes.js';

let deployment: TestDeployment | undefined;

afterEach(async () => {
  await deployment?.cleanup();
  deployment = undefined;
});

describe('outpost-collector backup', () => {
  it('copies the database while the collector is ingesting; the copy opens and holds the rows', async () => {
    const d = (deployment = await TestDeployment.create());
    await d.startCollector();
    const checks = range(20).map((i) => ({ id: `c${i}`, type: 'tcp', target: `127.0.0.1:${d.httpPort}`, interval: '100ms', jitter: '0%' }));
    await d.initAgent('lab-1', { checks, uplink: { max_batch_results: 20 } });
    d.startAgent('lab-1');
    await eventually('ingest under way', () => (d.collectorResultIds('lab-1').length >= 300 ? true : undefined), 60_000);

    const storedBefore = d.collectorResultIds('lab-1').length;
    const out = join(d.root, 'backup', 'collector-copy.db');
    mkdirSync(join(d.root, 'backup'));
    const res = await runCli('collector', ['backup', '--data-dir', d.collectorDir, '--out', out, '--json']);
    expect(res.code, res.stderr).toBe(0);
    const storedAfter = d.collectorResultIds('lab-1').length;
    expect(storedAfter).toBeGreaterThan(storedBefore); // the collector kept storing meanwhile
    const report = JSON.parse(res.stdout) as { file: string; results: number; agents: number; bytes: number };
    expect(report).toMatchObject({ file: out, agents: 1 });

    const copy = new Database(out, { readonly: true });
    try {
      expect(copy.pragma('integrity_check', { simple: true })).toBe('ok');
      const ids = (copy.prepare('SELECT result_id AS id FROM results ORDER BY result_id').all() as { id: number }[]).map((r) => r.id);
      expect(ids.length).toBe(report.results);
      expect(ids.length).toBeGreaterThanOrEqual(storedBefore);
      expect(ids.length).toBeLessThanOrEqual(storedAfter);
      // A consistent snapshot: rows only ever arrive in order of result id here, so no holes.
      expect(ids).toEqual(range(ids.length));
      expect(copy.prepare('SELECT name FROM agents').all()).toEqual([{ name: 'lab-1' }]);
    } finally {
      copy.close();
    }

    // Never over an existing file.
    const again = await runCli('collector', ['backup', '--data-dir', d.collectorDir, '--out', out]);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain('already exists');
  }, 120_000);
});
