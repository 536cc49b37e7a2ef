import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NamespacedProcess } from './support/netns-deployment.js';
import { BINS, eventually, freePort, getJson, runCli, RunningProcess, tempDir } from './support/processes.js';
import { SegmentationLab } from './support/segmentation-lab.js';
import { WebhookReceiver } from './support/webhook-receiver.js';

interface Cell { from: string; to: string; action: string; colour: string; agents: { agent: string; colour: string; checkedAtMs: number | null; ports: { host: string; port: number; state: string; service?: string }[] }[] }
interface Matrix { segments: string[]; targets: string[]; cells: Cell[] }

const INTERVAL = '2s';
const [A, B, C] = ['10.231.44.11', '10.231.44.12', '10.231.44.13'];

/** The policy under test: what each segment may reach. */
const POLICY = {
  interval: INTERVAL,
  port_timeout: '400ms',
  max_rate: 200,
  watch_ports: '29999',
  segments: [{ name: 'a', agents: ['seg-a'] }, { name: 'b', agents: ['seg-b'] }, { name: 'c', agents: ['seg-c'] }],
  targets: [
    { name: 'c-web', hosts: [C], ports: '28080' },
    { name: 'c-db', hosts: [C], ports: '25432' },
    { name: 'b-app', hosts: [B], ports: '28081' },
    { name: 'a-admin', hosts: [A], ports: '28022' },
  ],
  rules: [
    { from: 'a', to: 'c-web', action: 'allow' },
    { from: 'a', to: 'c-db', action: 'deny' },
    { from: 'b', to: 'c-web', action: 'allow' },
    { from: 'b', to: 'c-db', action: 'allow' },
    { from: 'a', to: 'b-app', action: 'allow' },
    { from: 'c', to: 'b-app', action: 'deny' },
    { from: 'c', to: 'a-admin', action: 'deny' },
  ],
};

/** Each namespace's firewall: replies and loopback pass, then exactly these sources and ports. */
const FIREWALL: Record<string, [string, number][]> = {
  a: [],
  b: [[A, 28081]],
  c: [[A, 28080], [B, 28080], [B, 25432], [A, 29999]],
};

/** What the matrix must say with the firewalls above. */
const EXPECTED = Object.fromEntries(POLICY.rules.map((r) => [`${r.from}->${r.to}`, 'green']));

let lab: SegmentationLab;
let dir: { path: string; cleanup: () => void };
let collector: RunningProcess | undefined;
let webhook: WebhookReceiver;
const agents: NamespacedProcess[] = [];
let apiUrl = '';

const matrix = () => getJson<Matrix>(`${apiUrl}/api/v1/segmentation`);
const colours = (m: Matrix) => Object.fromEntries(m.cells.map((c) => [`${c.from}->${c.to}`, c.colour]));
const drifts = () => webhook.received.filter((n) => n.kind === 'segmentation_drift');

beforeAll(async () => {
  lab = SegmentationLab.create(['a', 'b', 'c']);
  dir = tempDir('segmentation');
  webhook = await WebhookReceiver.start();
  for (const [name, allowed] of Object.entries(FIREWALL)) {
    lab.exec(name, 'iptables', '-A', 'INPUT', '-i', 'lo', '-j', 'ACCEPT');
    lab.exec(name, 'iptables', '-A', 'INPUT', '-m', 'conntrack', '--ctstate', 'ESTABLISHED,RELATED', '-j', 'ACCEPT');
    for (const [source, port] of allowed) lab.exec(name, 'iptables', '-A', 'INPUT', '-s', source, '-p', 'tcp', '--dport', String(port), '-j', 'ACCEPT');
    lab.exec(name, 'iptables', '-A', 'INPUT', '-p', 'tcp', '-j', 'DROP');
  }
  await lab.listen('a', { banner: { 28022: 'SSH-2.0-OpenSSH_9.2p1\r\n' } });
  await lab.listen('b', { http: [28081] });
  await lab.listen('c', { http: [28080, 29999], banner: { 25432: 'SSH-2.0-dropbear_2022.83\r\n' } });

  const collectorDir = join(dir.path, 'collector');
  const init = await runCli('collector', ['init', '--data-dir', collectorDir, '--json']);
  expect(init.code, init.stderr).toBe(0);
  const { collectorKey, tlsFingerprint } = JSON.parse(init.stdout) as { collectorKey: string; tlsFingerprint: string };
  const [port, httpPort] = [await freePort(), await freePort()];
  const configFile = join(dir.path, 'collector.yaml');
  writeFileSync(configFile, stringify({
    state: { grace: '10s' },
    segmentation: POLICY,
    notify: {
      notifiers: { hook: { type: 'webhook', url: webhook.url, retries: 0 } },
      rules: [{ name: 'drift', match: { kinds: ['segmentation_drift'] }, notify: ['hook'] }],
    },
  }));
  collector = new RunningProcess('collector', ['run', '--data-dir', collectorDir, '--listen', `${lab.bridgeAddress}:${port}`, '--http', `127.0.0.1:${httpPort}`, '--config', configFile]);
  await collector.waitForLine((line) => line.includes('collector listening'));
  apiUrl = `http://127.0.0.1:${httpPort}`;

  for (const name of ['a', 'b', 'c']) {
    const file = join(dir.path, `seg-${name}`, 'agent.yaml');
    const token = (await runCli('collector', ['token', '--data-dir', collectorDir])).stdout.trim();
    const res = await runCli('agent', [
      'init', '--config', file, '--name', `seg-${name}`, '--collector', `wss://${lab.bridgeAddress}:${port}`,
      '--collector-key', collectorKey, '--tls-fingerprint', tlsFingerprint, '--token', token,
    ]);
    expect(res.code, res.stderr).toBe(0);
    const config = parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
    writeFileSync(file, stringify({ ...config, checks: [], uplink: { heartbeat_interval: '500ms', backoff_min: '50ms', backoff_max: '500ms' } }), { mode: 0o600 });
    agents.push(new NamespacedProcess(lab.segment(name).namespace, 'agent', ['run', '--config', file]));
  }
}, 120_000);

afterAll(async () => {
  for (const agent of agents) await agent.stop('SIGKILL');
  await collector?.stop('SIGKILL');
  await webhook?.stop();
  lab?.destroy();
  dir?.cleanup();
});

describe('segmentation matrix from inside three namespaces', () => {
  it('matches the firewall rules exactly, cell by cell', async () => {
    const m = await eventually('every cell judged', async () => {
      const current = await matrix();
      return current.cells.every((c) => c.colour !== 'grey') ? current : undefined;
    }, 90_000, 500);
    expect(m.segments).toEqual(['a', 'b', 'c']);
    expect(colours(m)).toEqual(EXPECTED);
    // Every cell rests on a real result from its segment's own agent.
    for (const cell of m.cells) expect(cell.agents.map((a) => a.agent)).toEqual([`seg-${cell.from}`]);
    expect(drifts().filter((n) => n.to === 'CRITICAL' || n.to === 'WARNING')).toEqual([]);
  }, 120_000);

  it('reports an unexpected HTTP service once, named by its answer', async () => {
    const events = await eventually('unexpected service event', async () => {
      const { events: found } = await getJson<{ events: { message: string }[] }>(`${apiUrl}/api/v1/events?kind=unexpected_service`);
      return found.length > 0 ? found : undefined;
    }, 30_000, 500);
    expect(events).toHaveLength(1);
    expect(events[0]!.message).toContain(`${C}:29999 open (http`);
  }, 60_000);

  it('turns exactly one cell red when a denied path opens, pages once, and back green when it closes', async () => {
    const before = drifts().length;
    const openedAt = Date.now();
    lab.exec('c', 'iptables', '-I', 'INPUT', '1', '-s', A, '-p', 'tcp', '--dport', '25432', '-j', 'ACCEPT');
    const red = await eventually('a->c-db red', async () => {
      const m = await matrix();
      return colours(m)['a->c-db'] === 'red' ? m : undefined;
    }, 60_000, 250);
    expect(colours(red)).toEqual({ ...EXPECTED, 'a->c-db': 'red' });
    const cell = red.cells.find((c) => c.from === 'a' && c.to === 'c-db')!;
    expect(cell.agents[0]).toMatchObject({ agent: 'seg-a', colour: 'red', ports: [{ host: C, port: 25432, state: 'open', service: 'ssh' }] });
    expect(cell.agents[0]!.checkedAtMs).toBeGreaterThanOrEqual(openedAt - 2_500);

    const paged = await eventually('one drift notification', () => (drifts().length > before ? drifts().slice(before) : undefined), 30_000);
    expect(paged).toHaveLength(1);
    expect(paged[0]).toMatchObject({ kind: 'segmentation_drift', agent: 'seg-a', from: 'OK', to: 'CRITICAL' });
    expect(paged[0]!.message).toContain('a -> c-db (deny): green -> red');

    lab.exec('c', 'iptables', '-D', 'INPUT', '-s', A, '-p', 'tcp', '--dport', '25432', '-j', 'ACCEPT');
    const green = await eventually('a->c-db green again', async () => {
      const m = await matrix();
      return colours(m)['a->c-db'] === 'green' ? m : undefined;
    }, 60_000, 250);
    expect(colours(green)).toEqual(EXPECTED);
    // Exactly one more page: the recovery; nothing else moved.
    await eventually('recovery notification', () => (drifts().length === before + 2 ? true : undefined), 30_000);
    expect(drifts().slice(before).map((n) => n.to)).toEqual(['CRITICAL', 'OK']);
    const history = await getJson<{ history: { colour: string }[] }>(`${apiUrl}/api/v1/segmentation/cells/a/c-db/history`);
    expect(history.history.slice(0, 2).map((h) => h.colour)).toEqual(['green', 'red']);
  }, 180_000);

  it('names the HTTP service on port 28081 in scan output', async () => {
    const scan = lab.exec('a', process.execPath, BINS.agent, 'scan', B, '-p', '28081', '--service', '--json');
    const report = JSON.parse(scan) as { hosts: { open: { port: number; service: string; service_probe?: string; service_evidence?: string }[] }[] };
    expect(report.hosts[0]!.open).toEqual([expect.objectContaining({ port: 28081, service: 'http', service_probe: 'http' })]);
    expect(report.hosts[0]!.open[0]!.service_evidence).toMatch(/^HTTP\/1\.1 200 OK/);
  }, 60_000);
});

describe('segmentation policy errors', () => {
  const cases: [string, Record<string, unknown>, RegExp][] = [
    ['an unknown segment', { ...POLICY, rules: [{ from: 'dmz', to: 'c-web', action: 'deny' }] }, /segmentation\.rules\[0\]\.from: unknown segment "dmz"/],
    ['a CIDR wider than the maximum', { ...POLICY, targets: [{ name: 'c-web', hosts: ['192.0.2.0/16'], ports: 80 }, ...POLICY.targets.slice(1)] }, /segmentation\.targets\[0\]\.hosts\[0\]: 192\.0\.2\.0\/16 is wider than the maximum \/24.*used by rules\[0\], rules\[2\]/],
    [
      'overlapping allow and deny without precedence',
      { ...POLICY, targets: [...POLICY.targets, { name: 'c-all', hosts: ['10.231.44.0/24'], ports: '25432' }], rules: [...POLICY.rules, { from: 'b', to: 'c-all', action: 'deny' }] },
      /segmentation\.rules\[7\]: overlaps rules\[3\] \(allow b -> c-db\) on 10\.231\.44\.13 \/ 10\.231\.44\.0\/24 port 25432 with deny, and no precedence is stated/,
    ],
  ];
  for (const [what, segmentation, error] of cases) {
    it(`refuses ${what} with the file, the rule and the reason (exit 2)`, async () => {
      const file = join(dir.path, `bad-${what.replace(/\W+/g, '-')}.yaml`);
      writeFileSync(file, stringify({ segmentation }));
      const res = await runCli('collector', ['check-config', file]);
      expect(res.code).toBe(2);
      expect(res.stderr).toContain(file);
      expect(res.stderr).toMatch(error);
    });
  }

  it('accepts the same overlap once a precedence is stated', async () => {
    const file = join(dir.path, 'precedence.yaml');
    const rules = [...POLICY.rules, { from: 'b', to: 'c-all', action: 'deny' }];
    writeFileSync(file, stringify({ segmentation: { ...POLICY, precedence: 'deny', targets: [...POLICY.targets, { name: 'c-all', hosts: ['10.231.44.0/24'], ports: '25432' }], rules } }));
    const res = await runCli('collector', ['check-config', file]);
    expect(res.stderr).toBe('');
    expect(res.code).toBe(0);
  });
});
