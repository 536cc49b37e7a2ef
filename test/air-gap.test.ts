import { cpSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { range, TestDeployment } from './support/deployment.js';
import { eventually, runCli } from './support/processes.js';

interface ImportJson {
  refused?: { code: string; message: string };
  files: { name: string; status: string; reason?: string; stored: number; duplicates: number; rejected: number }[];
  total: { new: number; duplicate: number; rejected: number; rejectedFiles: number };
  receiptFile?: string;
}
interface Manifest {
  agentKey: string;
  files: { name: string; firstResultId: number; lastResultId: number; results: number }[];
}

let deployment: TestDeployment | undefined;

afterEach(async () => {
  await deployment?.cleanup();
  deployment = undefined;
});

/**
 * An agent that has never reached its collector: its URL points at the deployment's port,
 * where nothing listens until the test starts the collector. It checks two closed loopback
 * ports until at least `count` results wait in its outbox, then stops.
 */
async function isolatedAgentWithBacklog(d: TestDeployment, count: number): Promise<number> {
  await d.initAgent('lab-1', {
    token: false,
    checks: [
      { id: 'closed-a', type: 'tcp', target: `127.0.0.1:${d.port}`, interval: '100ms', jitter: '0%', timeout: '1s' },
      { id: 'closed-b', type: 'tcp', target: `127.0.0.1:${d.httpPort}`, interval: '100ms', jitter: '0%', timeout: '1s' },
    ],
  });
  const agent = d.startAgent('lab-1');
  await eventually(`${count} buffered results`, () => (d.agentOutbox('lab-1').waiting >= count ? true : undefined), 60_000);
  await agent.stop('SIGTERM');
  const { lastId, waiting } = d.agentOutbox('lab-1');
  // Nothing was ever delivered: every id the agent made is still waiting.
  expect(waiting).toBe(lastId);
  return lastId;
}

const importDir = async (d: TestDeployment, dir: string) => {
  const res = await runCli('collector', ['import', dir, '--data-dir', d.collectorDir, '--json']);
  return { code: res.code, report: JSON.parse(res.stdout || '{}') as ImportJson, stderr: res.stderr };
};

/** Enroll the air-gapped agent the offline way: its first import records it as pending, the operator approves its key. */
async function approveFromManifest(d: TestDeployment, dir: string): Promise<void> {
  const first = await importDir(d, dir);
  expect(first.code).toBe(1);
  expect(first.report.refused?.code).toBe('OUTPOST_ERR_PENDING_APPROVAL');
  const { agentKey } = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')) as Manifest;
  const approve = await runCli('collector', ['agents', 'approve', 'lab-1', '--key', agentKey.slice(0, 20), '--data-dir', d.collectorDir]);
  expect(approve.code).toBe(0);
}

describe('air gap: export to a directory, import at the collector, receipt back', () => {
  it('delivers every result exactly once, a second import changes nothing, and the receipt empties the outbox', async () => {
    const d = (deployment = await TestDeployment.create());
    const n = await isolatedAgentWithBacklog(d, 40);
    const media = join(d.root, 'media');

    const exported = await runCli('agent', ['export', '--config', d.configPath('lab-1'), '--out', media, '--json']);
    expect(exported.code).toBe(0);
    expect(JSON.parse(exported.stdout)).toMatchObject({ results: n });
    // Export deletes nothing: media gets lost.
    expect(d.agentOutbox('lab-1').waiting).toBe(n);

    // The collector is running: the import shares its database (WAL).
    await d.startCollector();
    await approveFromManifest(d, media);
    const text = await runCli('collector', ['import', media, '--data-dir', d.collectorDir]);
    expect(text.code).toBe(0);
    expect(text.stdout).toContain(`total (lab-1): new ${n}, duplicate 0, rejected 0 (0 files rejected)`);
    expect(text.stdout).toMatch(new RegExp(`lab-1-1-${n}\\.outpost-batch\\s+new ${n}, duplicate 0, rejected 0`));
    expect(d.collectorResultIds('lab-1')).toEqual(range(n));
    // The check state advanced as a live ingest would: the running collector's API shows both checks.
    const checks = await d.api<{ checks: { agent: string; check: string; status: string }[] }>('/api/v1/checks');
    expect(checks.checks.map((c) => [c.check, c.status]).sort()).toEqual([['closed-a', 'CRITICAL'], ['closed-b', 'CRITICAL']]);

    const again = await importDir(d, media);
    expect(again.code).toBe(0);
    expect(again.report.total).toEqual({ new: 0, duplicate: n, rejected: 0, rejectedFiles: 0 });
    expect(d.collectorResultIds('lab-1')).toEqual(range(n));

    const applied = await runCli('agent', ['apply-receipt', join(media, 'receipt.json'), '--config', d.configPath('lab-1'), '--json']);
    expect(applied.code).toBe(0);
    expect(JSON.parse(applied.stdout)).toMatchObject({ resultsRemoved: n, filesImported: 1, filesRejected: 0 });
    expect(d.agentOutbox('lab-1').waiting).toBe(0);
    const nothing = await runCli('agent', ['export', '--config', d.configPath('lab-1'), '--out', join(d.root, 'media-2')]);
    expect(nothing.stdout).toBe('nothing to export\n');

    const usage = await runCli('collector', ['import', join(d.root, 'no-such-dir'), '--data-dir', d.collectorDir]);
    expect(usage.code).toBe(2);
  });

  it('rejects a tampered file by name while the others import, and reports a removed file and an edited manifest', async () => {
    const d = (deployment = await TestDeployment.create());
    const n = await isolatedAgentWithBacklog(d, 30);
    const media = join(d.root, 'media');
    const exported = await runCli('agent', ['export', '--config', d.configPath('lab-1'), '--out', media, '--max-batch-results', '10']);
    expect(exported.code).toBe(0);
    const manifest = JSON.parse(readFileSync(join(media, 'manifest.json'), 'utf8')) as Manifest;
    expect(manifest.files.length).toBeGreaterThanOrEqual(3);
    const [first, victim] = manifest.files as [Manifest['files'][number], Manifest['files'][number]];

    const tampered = join(d.root, 'tampered');
    cpSync(media, tampered, { recursive: true });
    const bytes = readFileSync(join(tampered, victim.name));
    bytes[Math.floor(bytes.length / 2)]! ^= 0x01;
    writeFileSync(join(tampered, victim.name), bytes);

    await approveFromManifest(d, tampered);
    const hit = await importDir(d, tampered);
    expect(hit.code).toBe(1);
    const rejected = hit.report.files.filter((f) => f.status === 'rejected');
    expect(rejected.map((f) => f.name)).toEqual([victim.name]);
    expect(rejected[0]!.reason).toContain('sha256');
    expect(hit.report.total).toEqual({ new: n - victim.results, duplicate: 0, rejected: victim.results, rejectedFiles: 1 });
    const victimIds = range(n).filter((id) => id >= victim.firstResultId && id <= victim.lastResultId);
    expect(d.collectorResultIds('lab-1')).toEqual(range(n).filter((id) => !victimIds.includes(id)));

    // Another copy lost a different file: that is reported, and the intact copy of the victim fills the hole.
    const removed = join(d.root, 'removed');
    cpSync(media, removed, { recursive: true });
    unlinkSync(join(removed, first.name));
    const hole = await importDir(d, removed);
    expect(hole.code).toBe(1);
    expect(hole.report.files.find((f) => f.name === first.name)).toMatchObject({ status: 'rejected', reason: expect.stringContaining('missing') });
    expect(hole.report.total).toMatchObject({ new: victim.results, rejectedFiles: 1 });
    expect(d.collectorResultIds('lab-1')).toEqual(range(n));

    // A manifest with an entry taken out no longer carries the agent's signature: nothing is taken from it.
    const edited = join(d.root, 'edited');
    cpSync(media, edited, { recursive: true });
    const doc = JSON.parse(readFileSync(join(edited, 'manifest.json'), 'utf8')) as Manifest;
    writeFileSync(join(edited, 'manifest.json'), JSON.stringify({ ...doc, files: doc.files.slice(1) }));
    const forged = await importDir(d, edited);
    expect(forged.code).toBe(1);
    expect(forged.report.refused?.code).toBe('OUTPOST_ERR_BAD_SIGNATURE');
    expect(forged.report.total.new + forged.report.total.duplicate).toBe(0);

    // The receipt of the tampered copy lets the agent delete all but the victim's rows.
    const applied = await runCli('agent', ['apply-receipt', join(tampered, 'receipt.json'), '--config', d.configPath('lab-1'), '--json']);
    expect(JSON.parse(applied.stdout)).toMatchObject({ resultsRemoved: n - victim.results, filesRejected: 1 });
    expect(d.agentOutbox('lab-1').waiting).toBe(victim.results);
  });
});
