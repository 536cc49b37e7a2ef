import { createHash } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  batchFileName,
  encodeBatchBody,
  encodeBatchFile,
  encodeKey,
  encodeResult,
  EXPORT_MANIFEST_DOMAIN,
  EXPORT_MANIFEST_FORMAT,
  generateKeyPair,
  signBatch,
  signDocument,
  Status,
  type ExportManifest,
} from '@outpost/protocol';
import { afterEach, describe, expect, it } from 'vitest';
import { SqliteStore } from '../packages/collector/src/sqlite-store.js';
import { runCli, tempDir } from './support/processes.js';

// `outpost-collector import --config FILE`: the store judges flapping by the config's
// `state` settings, as the running collector does, not by the built-in defaults.

const agentKeys = generateKeyPair();
let dir: ReturnType<typeof tempDir> | undefined;

afterEach(() => {
  dir?.cleanup();
  dir = undefined;
});

/**
 * A signed export of one check that alternates OK, CRITICAL, OK, ... one result a second:
 * `results` results make `results - 1` status changes within a few seconds.
 */
function writeFlappingExport(out: string, results: number): void {
  mkdirSync(out, { recursive: true });
  const ids = Array.from({ length: results }, (_, i) => i + 1);
  const encoded = ids.map((id) =>
    encodeResult({ resultId: id, checkId: 'web', startedAtMs: 1_700_000_000_000 + id * 1000, status: id % 2 === 1 ? Status.OK : Status.CRITICAL, observation: 'x' }),
  );
  const payload = encodeBatchBody({ agentKey: agentKeys.publicKey, batchSeq: 1, createdMs: 1_700_000_100_000, clockOffsetMs: 0 }, encoded);
  const bytes = encodeBatchFile(signBatch(agentKeys.secretKey, payload));
  const name = batchFileName('lab-1', 1, results);
  writeFileSync(join(out, name), bytes);
  const manifest = signDocument<ExportManifest>(agentKeys.secretKey, EXPORT_MANIFEST_DOMAIN, {
    format: EXPORT_MANIFEST_FORMAT, exportId: 'e1', agent: 'lab-1', agentKey: encodeKey(agentKeys.publicKey), createdMs: 1_700_000_100_000, software: 'test',
    files: [{ name, sha256: createHash('sha256').update(bytes).digest('hex'), bytes: bytes.length, batchSeq: 1, firstResultId: 1, lastResultId: results, results, gaps: 0 }],
  });
  writeFileSync(join(out, 'manifest.json'), JSON.stringify(manifest, null, 2));
}

/** A collector data directory (real `init`) where lab-1 is enrolled and active. */
async function collectorWithAgent(dataDir: string): Promise<void> {
  const init = await runCli('collector', ['init', '--data-dir', dataDir]);
  expect(init.code, init.stderr).toBe(0);
  const store = SqliteStore.open(join(dataDir, 'collector.db'));
  try {
    await store.createPendingAgent('lab-1', agentKeys.publicKey, 1, 10);
    await store.setAgentStatus('lab-1', 'active', 2);
  } finally {
    await store.close();
  }
}

async function storedEvents(dataDir: string) {
  const store = SqliteStore.open(join(dataDir, 'collector.db'));
  try {
    const events = await store.queryEvents({ agent: 'lab-1', limit: 1_000 });
    const results = await store.queryResults({ agent: 'lab-1', limit: 1_000 });
    return { events, results: results.length };
  } finally {
    await store.close();
  }
}

describe('outpost-collector import --config', () => {
  it('judges flapping by the config file state settings, and by the defaults without it', { timeout: 120_000 }, async () => {
    dir = tempDir('import-config');
    const media = join(dir.path, 'media');
    // 5 results: 4 status changes, flapping at flap_changes 4, not at the default 5.
    writeFlappingExport(media, 5);
    const config = join(dir.path, 'collector.yaml');
    writeFileSync(config, 'state:\n  flap_changes: 4\n  flap_window: 10m\n');

    const configured = join(dir.path, 'configured');
    await collectorWithAgent(configured);
    const withConfig = await runCli('collector', ['import', media, '--data-dir', configured, '--config', config, '--receipt', join(dir.path, 'r1.json')]);
    expect(withConfig.code, withConfig.stderr).toBe(0);
    const flapped = await storedEvents(configured);
    expect(flapped.results).toBe(5);
    const starts = flapped.events.filter((e) => e.kind === 'flapping_start');
    expect(starts.map((e) => [e.checkId, e.resultId, e.message])).toEqual([
      ['web', 5, 'lab-1/web: flapping: changed status 4 times or more within 600 s; notifications paused'],
    ]);

    // The same export without --config: the defaults (5 changes) see no flapping in 4 changes.
    const plain = join(dir.path, 'plain');
    await collectorWithAgent(plain);
    const withoutConfig = await runCli('collector', ['import', media, '--data-dir', plain, '--receipt', join(dir.path, 'r2.json')]);
    expect(withoutConfig.code, withoutConfig.stderr).toBe(0);
    const steady = await storedEvents(plain);
    expect(steady.results).toBe(5);
    expect(steady.events.filter((e) => e.kind === 'flapping_start')).toEqual([]);
    expect(steady.events.filter((e) => e.kind === 'check')).toHaveLength(5);
  });

  it('refuses an invalid config file as run does, before anything is stored', { timeout: 120_000 }, async () => {
    dir = tempDir('import-config');
    const media = join(dir.path, 'media');
    writeFlappingExport(media, 5);
    const dataDir = join(dir.path, 'collector');
    await collectorWithAgent(dataDir);
    const config = join(dir.path, 'bad.yaml');
    writeFileSync(config, 'state:\n  flap_changes: 1\n');

    const res = await runCli('collector', ['import', media, '--data-dir', dataDir, '--config', config]);
    expect(res.code).toBe(2);
    expect(res.stderr).toContain(`${config}: state.flap_changes`);
    expect((await storedEvents(dataDir)).results).toBe(0);

    const missing = await runCli('collector', ['import', media, '--data-dir', dataDir, '--config', join(dir.path, 'nope.yaml')]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('cannot read the config file');
    expect((await storedEvents(dataDir)).results).toBe(0);
  });
});
