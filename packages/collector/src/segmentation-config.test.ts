import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, ErrorCode, generateKeyPair, PublicKey, verifyConfig } from '@outpost/protocol';
import { parse } from 'yaml';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { hashToken, issueToken } from './enrollment.js';
import { generateChecks, type GeneratedCheck } from './segmentation-checks.js';
import { assertNoGeneratedIds, generatedPart, mergeGenerated, syncGeneratedChecks } from './segmentation-config.js';
import { segmentationSchema } from './segmentation-policy.js';
import { SqliteStore } from './sqlite-store.js';
import type { AgentRecord } from './store.js';

const policy = (watchPorts: string) =>
  segmentationSchema.parse({
    watch_ports: watchPorts,
    segments: [{ name: 'office', agents: ['office-*'] }],
    targets: [
      { name: 'web', hosts: ['192.0.2.10'], ports: '80,443' },
      { name: 'db', hosts: ['192.0.2.20'], ports: '5432' },
    ],
    rules: [
      { from: 'office', to: 'web', action: 'allow' },
      { from: 'office', to: 'db', action: 'deny' },
    ],
  });
const GENERATED = generateChecks(policy('22'), 'office-1', {});
const CHANGED = generateChecks(policy('22,3389'), 'office-1', {});

const OPERATOR = `# lab-1: owned by the network team
heartbeat_interval: 10s # keep short: the link flaps
checks:
  # the web front end
  - { id: web, type: tcp, target: "192.0.2.1:80" }
  - id: dns
    type: dns
    target: 192.0.2.53
`;

const checksOf = (text: string) => (parse(text) as { checks: { id: string }[] }).checks;

describe('mergeGenerated', () => {
  it('keeps the operator part with its comments and layout, and adds the generated checks after it', () => {
    const merged = mergeGenerated(OPERATOR, GENERATED);
    expect(merged.startsWith(OPERATOR.replace(/\n$/, ''))).toBe(true);
    expect(merged).not.toContain('local_checks');
    expect(checksOf(merged).map((c) => c.id)).toEqual(['web', 'dns', 'seg:office:web', 'seg:office:db']);
    expect(checksOf(merged).slice(2)).toEqual(GENERATED);
  });

  it('replaces only the seg: checks, wherever they stand', () => {
    const stale = `${OPERATOR}  - { id: "seg:office:old", type: exposure, targets: [192.0.2.99], ports: "1" }\n  - { id: tail, type: tcp, target: "192.0.2.2:22" }\n`;
    const merged = mergeGenerated(stale, CHANGED);
    expect(checksOf(merged).map((c) => c.id)).toEqual(['web', 'dns', 'tail', 'seg:office:web', 'seg:office:db']);
    expect(merged).toContain('# the web front end');
    expect(merged).toContain('# keep short: the link flaps');
    expect(generatedPart(merged)).toEqual(CHANGED);
  });

  it('removes the generated checks, and nothing else, when the policy no longer gives any', () => {
    const merged = mergeGenerated(mergeGenerated(OPERATOR, GENERATED), []);
    expect(checksOf(merged).map((c) => c.id)).toEqual(['web', 'dns']);
    expect(merged).toContain('# lab-1: owned by the network team');
  });

  it('says local_checks: keep only when the operator never set a config', () => {
    const fresh = parse(mergeGenerated(undefined, GENERATED)) as Record<string, unknown>;
    expect(fresh).toEqual({ local_checks: 'keep', checks: GENERATED });
    expect(parse(mergeGenerated(OPERATOR, GENERATED))).not.toHaveProperty('local_checks');
    const replacing = 'local_checks: replace\nchecks: []\n';
    expect(parse(mergeGenerated(replacing, GENERATED))).toMatchObject({ local_checks: 'replace' });
  });

  it('adds a checks list to an operator config that has none', () => {
    const merged = mergeGenerated('# nothing but settings\nheartbeat_interval: 5s\n', GENERATED);
    expect(parse(merged)).toEqual({ heartbeat_interval: '5s', checks: GENERATED });
    expect(merged).toContain('# nothing but settings');
  });

  it('is stable: merging the same checks again gives the same bytes', () => {
    const once = mergeGenerated(OPERATOR, GENERATED);
    expect(mergeGenerated(once, GENERATED)).toBe(once);
    const fresh = mergeGenerated(undefined, GENERATED);
    expect(mergeGenerated(fresh, GENERATED)).toBe(fresh);
  });
});

describe('generatedPart and assertNoGeneratedIds', () => {
  it('reads back exactly the generated checks, as plain objects', () => {
    expect(generatedPart(mergeGenerated(OPERATOR, GENERATED))).toEqual(GENERATED);
    expect(generatedPart(OPERATOR)).toEqual([]);
    expect(generatedPart('heartbeat_interval: 5s\n')).toEqual([]);
  });

  it('refuses an operator check id with the seg: prefix, naming the file and the check', () => {
    const text = `${OPERATOR}  - { id: "seg:office:web", type: tcp, target: "192.0.2.1:443" }\n`;
    let caught: unknown;
    try {
      assertNoGeneratedIds(text, 'lab-1.yaml');
    } catch (err: unknown) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(ConfigError);
    expect((caught as ConfigError).code).toBe(ErrorCode.CONFIG);
    expect((caught as ConfigError).message).toBe('lab-1.yaml: checks[2].id: ids starting with "seg:" are kept for checks generated from the segmentation policy');
  });

  it('lets operator ids that merely look alike through', () => {
    expect(() => assertNoGeneratedIds(`${OPERATOR}  - { id: segment-web, type: tcp, target: "192.0.2.1:443" }\n  - { id: "x-seg:1", type: tcp, target: "192.0.2.1:22" }\n`, 'lab-1.yaml')).not.toThrow();
    expect(() => assertNoGeneratedIds('heartbeat_interval: 5s\n', 'lab-1.yaml')).not.toThrow();
  });
});

describe('syncGeneratedChecks', () => {
  let dir: string;
  let store: SqliteStore;
  let agent: AgentRecord;
  const collector = generateKeyPair();

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'outpost-seg-config-'));
    store = SqliteStore.open(join(dir, 'collector.db'));
    const token = await issueToken(store, 60_000, null, 1_000);
    expect(await store.enrollWithToken(hashToken(token), 'office-1', generateKeyPair().publicKey, 2_000)).toBe('enrolled');
    agent = (await store.findAgentByName('office-1'))!;
  });
  afterEach(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const latestText = async () => Buffer.from((await store.latestAgentConfig(agent.id))!.config).toString('utf8');

  it('stores and signs a version only when the generated checks change', async () => {
    expect(await syncGeneratedChecks(store, collector, agent, GENERATED, 10_000)).toBe(1);
    const first = (await store.latestAgentConfig(agent.id))!;
    expect(verifyConfig(first, agent.publicKey, [PublicKey.from(collector.publicKey)])).toBe(true);
    expect(parse(await latestText())).toEqual({ local_checks: 'keep', checks: GENERATED });

    const regenerated: GeneratedCheck[] = JSON.parse(JSON.stringify(generateChecks(policy('22'), 'office-1', {})));
    expect(await syncGeneratedChecks(store, collector, agent, regenerated, 11_000)).toBeUndefined();
    expect((await store.latestAgentConfig(agent.id))!.version).toBe(1);

    expect(await syncGeneratedChecks(store, collector, agent, CHANGED, 12_000)).toBe(2);
    expect(generatedPart(await latestText())).toEqual(CHANGED);
  });

  it('leaves an agent without a remote config on its own file when the policy gives it nothing', async () => {
    expect(await syncGeneratedChecks(store, collector, agent, [], 10_000)).toBeUndefined();
    expect(await store.latestAgentConfig(agent.id)).toBeUndefined();
  });

  it('merges into the operator version and keeps it when the checks are removed again', async () => {
    await store.putAgentConfig(agent.id, Buffer.from(OPERATOR), () => new Uint8Array(64), 5_000);
    expect(await syncGeneratedChecks(store, collector, agent, GENERATED, 10_000)).toBe(2);
    const merged = await latestText();
    expect(merged.startsWith(OPERATOR.replace(/\n$/, ''))).toBe(true);
    expect(checksOf(merged).map((c) => c.id)).toEqual(['web', 'dns', 'seg:office:web', 'seg:office:db']);
    expect(await syncGeneratedChecks(store, collector, agent, [], 11_000)).toBe(3);
    expect(checksOf(await latestText()).map((c) => c.id)).toEqual(['web', 'dns']);
    expect(await syncGeneratedChecks(store, collector, agent, [], 12_000)).toBeUndefined();
  });
});
