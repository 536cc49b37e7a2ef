import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateKeyPair, PublicKey, Status } from '@outpost/protocol';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ALIVE_EVERY_MS, outboxPath } from './agent.js';
import { parseAgentConfig, type AgentConfig } from './config.js';
import { Outbox } from './outbox.js';
import { formatStatus, readStatus } from './status-report.js';

// `outpost-agent status` reads the outbox of an agent that may be running, stopped, or
// dead: a real outbox file with the meta a running agent writes.

let dir: string;
let config: AgentConfig;
const T = 1_800_000_000_000;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'outpost-status-'));
  const key = PublicKey.from(generateKeyPair().publicKey).toString();
  config = parseAgentConfig(
    `agent: { name: lab-1, data_dir: ${join(dir, 'data')} }\ncollector: { url: "wss://127.0.0.1:41121", key: "${key}", tls_fingerprint: "${'ab'.repeat(32)}" }\n`,
    join(dir, 'agent.yaml'),
  );
  mkdirSync(config.dataDir, { recursive: true });
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function recorded(meta: Record<string, string>): void {
  const outbox = Outbox.open(outboxPath(config));
  outbox.setMetas(meta);
  outbox.close();
}

describe('agent status', () => {
  it('tells a running agent from one that died with "connected" as its last recorded state', () => {
    recorded({ connection_state: 'connected', state_changed_at: String(T - 60_000), alive_at: String(T) });
    expect(readStatus(config, T + ALIVE_EVERY_MS)).toMatchObject({ connection: 'connected', running: true });
    const dead = readStatus(config, T + 3 * ALIVE_EVERY_MS + 1);
    expect(dead).toMatchObject({ connection: 'connected', running: false, aliveAt: new Date(T).toISOString() });
    const text = formatStatus(dead, T + 3 * ALIVE_EVERY_MS + 1);
    expect(text).toMatch(/^agent {7}lab-1: not running \(no sign of life since .* ago\); it stopped without a clean shutdown\)$/m);
    expect(text).toMatch(/^connection {2}none \(last recorded: connected\)/m);
  });

  it('calls a drain stalled when connected with a backlog but nothing acknowledged for a while', () => {
    const outbox = Outbox.open(outboxPath(config));
    // Checked long before: a result waiting minutes with no ack for a while is a stalled drain.
    outbox.append([{ checkId: 'c', startedAtMs: T - 200_000, durationUs: 1, status: Status.OK, observation: 'open', message: '', metrics: {}, checkConfigHash: 'h' }]);
    outbox.setMetas({ connection_state: 'connected', connected_at: String(T - 60_000), alive_at: String(T), last_ack_at: String(T - 5_000), drain_at: String(T - 5_000), drain_rate: '40' });
    outbox.close();
    expect(readStatus(config, T)).toMatchObject({ drainState: 'draining', drainRatePerSec: 40 });
    const stalled = readStatus(config, T + 20_000);
    expect(stalled).toMatchObject({ drainState: 'stalled', drainRatePerSec: null, drainEtaSec: null });
    expect(formatStatus(stalled, T + 20_000)).toMatch(/^draining {4}stalled: connected, but nothing acknowledged since .* \(25s ago\)$/m);
  });

  it('says stopped after a clean stop, and makes no claim for an agent that never noted itself alive', () => {
    recorded({ connection_state: 'stopped', state_changed_at: String(T), alive_at: String(T) });
    const stopped = readStatus(config, T + 1_000);
    expect(stopped).toMatchObject({ connection: 'stopped', running: false });
    expect(formatStatus(stopped, T + 1_000)).toMatch(/^agent {7}lab-1$/m);
    recorded({ connection_state: 'connected', alive_at: '' });
    expect(readStatus(config, T)).toMatchObject({ connection: 'connected', running: null });
  });
});
