import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateKeyPair, PublicKey, signConfig, verifyConfig, type SignedConfig } from '@outpost/protocol';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { AgentConfig } from './config.js';
import { mergeConfig, RemoteConfig } from './remote-config.js';

// The agent's side of remote config with real files: validate before switching, keep the
// previous version, refuse what the local file does not allow, roll back without contact.

const collector = generateKeyPair();
const agentKey = generateKeyPair().publicKey;
const logger = pino({ level: 'silent' });

let dir: string;
let file: string;
let applied: AgentConfig[];

function local(extra = ''): string {
  return [
    'agent: { name: lab-1 }',
    `collector: { url: "wss://127.0.0.1:41121", key: "${PublicKey.from(collector.publicKey).toString()}", tls_fingerprint: "${"ab".repeat(32)}" }`,
    'checks:',
    '  - { id: local-ssh, type: tcp, target: "127.0.0.1:22" }',
    extra,
    '',
  ].join('\n');
}

function push(version: number, text: string): SignedConfig {
  return signConfig(collector.secretKey, agentKey, version, Buffer.from(text));
}

function open(now?: () => number): RemoteConfig {
  const remote = RemoteConfig.load({ file, logger, ...(now ? { now } : {}) });
  remote.setApply((config) => applied.push(config));
  return remote;
}

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'outpost-remote-'));
  file = join(dir, 'agent.yaml');
  writeFileSync(file, local());
  applied = [];
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('remote config signatures', () => {
  it('binds a config to one agent and one version', () => {
    const signed = push(3, 'checks: []');
    const keys = [PublicKey.from(collector.publicKey)];
    expect(verifyConfig(signed, agentKey, keys)).toBe(true);
    expect(verifyConfig(signed, generateKeyPair().publicKey, keys)).toBe(false);
    expect(verifyConfig({ ...signed, version: 4 }, agentKey, keys)).toBe(false);
    expect(verifyConfig({ ...signed, config: Buffer.from('checks: [1]') }, agentKey, keys)).toBe(false);
    expect(verifyConfig(signed, agentKey, [PublicKey.from(generateKeyPair().publicKey)])).toBe(false);
  });
});

describe('RemoteConfig', () => {
  it('switches to a valid push, reports it, and runs it again after a restart', () => {
    const remote = open();
    expect(remote.status()).toMatchObject({ version: 0, error: '' });
    remote.onPush(push(1, 'checks:\n  - { id: web, type: tcp, target: "127.0.0.1:8080" }\n'));
    expect(applied.map((c) => c.checks.map((k) => k.id))).toEqual([['web']]);
    expect(remote.status()).toMatchObject({ version: 1, error: '', hash: applied[0]!.hash });
    // The local identity stays: only the remote sections were laid over the file.
    expect(remote.config.name).toBe('lab-1');
    const again = open();
    expect(again.config.checks.map((k) => k.id)).toEqual(['web']);
    expect(again.status().version).toBe(1);
  });

  it('refuses a broken config and one that touches local-only settings, and keeps what runs', () => {
    const remote = open();
    remote.onPush(push(1, 'checks:\n  - { id: web, type: tcp, target: "127.0.0.1:8080" }\n'));
    remote.onPush(push(2, 'checks:\n  - { id: bad, type: tcp, target: "127.0.0.1:99999" }\n'));
    expect(remote.status()).toMatchObject({ version: 1 });
    expect(remote.status().error).toMatch(/^v2: remote config v2: checks\[0\]\.target: .*99999/);
    remote.onPush(push(3, 'uplink: { window: 64 }\nchecks: []\n'));
    expect(remote.status().error).toMatch(/^v3: .*"uplink", which the local file does not allow/);
    expect(applied).toHaveLength(1);
    // The same refused version pushed again changes nothing; an older one is ignored.
    remote.onPush(push(3, 'uplink: { window: 64 }\nchecks: []\n'));
    remote.onPush(push(1, 'checks: []\n'));
    expect(applied).toHaveLength(1);
  });

  it('lets the local file allow more sections, or refuse remote config altogether', () => {
    writeFileSync(file, local('remote_config: { allow: [scheduler] }'));
    const remote = open();
    remote.onPush(push(1, 'scheduler: { max_concurrent: 3 }\nchecks: []\n'));
    expect(remote.status()).toMatchObject({ version: 1, error: '' });
    expect(applied[0]!.maxConcurrentChecks).toBe(3);
    writeFileSync(file, local('remote_config: { accept: false }'));
    const closed = open();
    closed.onPush(push(2, 'checks: []\n'));
    expect(closed.status().error).toMatch(/remote_config\.accept is false/);
    // A local file that refuses remote config runs itself, whatever is stored.
    expect(closed.config.checks.map((k) => k.id)).toEqual(['local-ssh']);
  });

  it('rolls back to the previous version when the collector is not heard from after a switch', async () => {
    writeFileSync(file, local('remote_config: { rollback_after: 1s }'));
    let now = 1_000_000;
    const remote = open(() => now);
    remote.onPush(push(1, 'checks:\n  - { id: v1, type: tcp, target: "127.0.0.1:1" }\n'));
    now += 10_000;
    remote.onContact(); // heard from well after the switch: v1 is confirmed
    remote.onPush(push(2, 'checks:\n  - { id: v2, type: tcp, target: "127.0.0.1:2" }\n'));
    now += 1_000;
    remote.onContact(); // too soon after the switch to prove anything
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    expect(applied.map((c) => c.checks[0]!.id)).toEqual(['v1', 'v2', 'v1']);
    expect(remote.status()).toMatchObject({ version: 1 });
    expect(remote.status().error).toMatch(/^v2: rolled back: no contact with the collector for 1s after switching/);
    const state = JSON.parse(readFileSync(join(dir, 'data', 'remote-config.json'), 'utf8')) as { current: { version: number } };
    expect(state.current.version).toBe(1);
    remote.stop();
  });

  it('rolls back past versions that were never confirmed, to the last confirmed one', async () => {
    writeFileSync(file, local('remote_config: { rollback_after: 1s }'));
    let now = 1_000_000;
    const remote = open(() => now);
    remote.onPush(push(1, 'checks:\n  - { id: v1, type: tcp, target: "127.0.0.1:1" }\n'));
    now += 10_000;
    remote.onContact(); // v1 confirmed
    remote.onPush(push(2, 'checks:\n  - { id: v2, type: tcp, target: "127.0.0.1:2" }\n'));
    now += 1_000;
    // v3 replaces v2 inside v2's window, before any contact confirmed v2.
    remote.onPush(push(3, 'checks:\n  - { id: v3, type: tcp, target: "127.0.0.1:3" }\n'));
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    expect(applied.map((c) => c.checks[0]!.id)).toEqual(['v1', 'v2', 'v3', 'v1']);
    expect(remote.status()).toMatchObject({ version: 1 });
    expect(remote.status().error).toMatch(/^v3: rolled back/);
    remote.stop();
    // The same from the local file: nothing was ever confirmed, so a rollback runs the file.
    rmSync(join(dir, 'data'), { recursive: true, force: true });
    applied = [];
    const fresh = open(() => now);
    fresh.onPush(push(4, 'checks:\n  - { id: v4, type: tcp, target: "127.0.0.1:4" }\n'));
    fresh.onPush(push(5, 'checks:\n  - { id: v5, type: tcp, target: "127.0.0.1:5" }\n'));
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    expect(applied.map((c) => c.checks[0]!.id)).toEqual(['v4', 'v5', 'local-ssh']);
    expect(fresh.status()).toMatchObject({ version: 0 });
    fresh.stop();
  });

  it('reports a stored version this agent no longer loads, and runs (and reports) what it falls back to', () => {
    const entry = (version: number, checks: string) => ({ version, config: checks, signature: '', switchedAt: 1, confirmed: true });
    const valid = 'checks:\n  - { id: v1, type: tcp, target: "127.0.0.1:1" }\n';
    // Stored by an older agent that let a threshold on a metric tcp never emits through.
    const stale = 'checks:\n  - { id: v2, type: tcp, target: "127.0.0.1:2", critical: { conect_ms: 500 } }\n';
    const state = join(dir, 'data', 'remote-config.json');
    mkdirSync(join(dir, 'data'), { recursive: true });
    writeFileSync(state, JSON.stringify({ current: entry(2, stale) }));
    const alone = open();
    expect(alone.config.checks.map((k) => k.id)).toEqual(['local-ssh']);
    expect(alone.status().version).toBe(0);
    expect(alone.status().error).toMatch(/^v2: does not load with this agent \(.*conect_ms.*\); running the local file$/);
    // The collector's next push of v2 is not taken again; v3 is.
    alone.onPush(push(2, stale));
    expect(alone.status().version).toBe(0);
    alone.onPush(push(3, valid));
    expect(alone.status()).toMatchObject({ version: 3, error: '' });

    writeFileSync(state, JSON.stringify({ current: entry(2, stale), previous: entry(1, valid) }));
    const fallback = open();
    expect(fallback.config.checks.map((k) => k.id)).toEqual(['v1']);
    expect(fallback.status()).toMatchObject({ version: 1, error: expect.stringMatching(/^v2: does not load with this agent .*; running v1$/) });
    // Still said after a restart.
    expect(open().status()).toMatchObject({ version: 1, error: expect.stringMatching(/^v2: does not load/) });
  });

  it('keeps the local checks beside the remote ones when the remote config says local_checks: keep', () => {
    const remote = open();
    remote.onPush(push(1, 'local_checks: keep\nchecks:\n  - { id: seg:a:b, type: tcp, target: "127.0.0.1:2" }\n'));
    expect(remote.config.checks.map((k) => k.id)).toEqual(['local-ssh', 'seg:a:b']);
    remote.onPush(push(2, 'local_checks: keep\nchecks:\n  - { id: local-ssh, type: tcp, target: "127.0.0.1:23" }\n'));
    expect(remote.config.checks.map((k) => `${k.id}=${JSON.stringify(k.config)}`)).toEqual(['local-ssh={"target":{"host":"127.0.0.1","port":23},"expect":"open"}']);
  });

  it('rolls back at start a version whose window passed while the agent was down, and survives a damaged state file', async () => {
    writeFileSync(file, local('remote_config: { rollback_after: 1m }'));
    let now = 1_000_000;
    const first = open(() => now);
    first.onPush(push(1, 'checks:\n  - { id: v1, type: tcp, target: "127.0.0.1:1" }\n'));
    first.stop();
    // Restarted two minutes later, never having heard from the collector: no fresh window.
    now += 120_000;
    const restarted = open(() => now);
    expect(restarted.config.checks.map((k) => k.id)).toEqual(['v1']);
    restarted.armRollback();
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(applied.at(-1)!.checks.map((k) => k.id)).toEqual(['local-ssh']);
    expect(restarted.status()).toMatchObject({ version: 0 });
    expect(restarted.status().error).toMatch(/^v1: rolled back/);
    restarted.stop();
    writeFileSync(join(dir, 'data', 'remote-config.json'), '{"current": {"vers');
    expect(open().config.checks.map((k) => k.id)).toEqual(['local-ssh']);
  });

  it('merges only known sections and keeps local keys', () => {
    const merged = mergeConfig(local(), 'defaults: { interval: 5s }\nchecks: []\n', []);
    expect(merged).toContain('name: lab-1');
    expect(merged).toContain('interval: 5s');
    expect(existsSync(join(dir, 'data'))).toBe(false);
  });
});
