import { writeFileSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestDeployment } from './support/deployment.js';
import { eventually, freePort } from './support/processes.js';
import { WebhookReceiver } from './support/webhook-receiver.js';

// The collector as an operator meets it: one event and one page per real change, quiet
// flapping, one "satellite silent" page instead of one per check, and after an outage the
// history rebuilt from the backlog without paging for what is already over.

interface CheckView { agent: string; check: string; status: string; reportedStatus: string; satelliteSilent: boolean; flapping: boolean }
interface EventView { kind: string; agent: string; check: string | null; from: string | null; to: string | null; backfilled: boolean; suppressed: string | null; message: string }
interface AgentView { name: string; health: string; segment: string; labels: Record<string, string> }

/** A TCP port the test opens and closes at will: the service the checks watch. */
class Service {
  #server: Server | undefined;
  readonly #sockets = new Set<Socket>();
  constructor(readonly port: number, readonly greeting: (n: number) => string = () => '') {}
  #count = 0;

  async open(): Promise<void> {
    this.#server = createServer((socket) => {
      this.#sockets.add(socket);
      socket.on('close', () => this.#sockets.delete(socket));
      socket.on('error', () => {});
      const text = this.greeting(this.#count++);
      if (text) socket.end(text);
    });
    await new Promise<void>((resolve) => this.#server!.listen(this.port, '127.0.0.1', resolve));
  }

  async close(): Promise<void> {
    const server = this.#server;
    this.#server = undefined;
    for (const socket of this.#sockets) socket.destroy();
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}

let d: TestDeployment;
let hook: WebhookReceiver;
let web: Service;
let flappy: Service;
let configFile: string;

const checks = (agent: string) => d.api<{ checks: CheckView[] }>(`/api/v1/checks?agent=${agent}`).then((r) => r.checks);
const events = (query: string) => d.api<{ events: EventView[] }>(`/api/v1/events?limit=1000&${query}`).then((r) => r.events);
const resultCount = (agent: string, check: string) => d.collectorResults(agent).length && d.api<{ results: unknown[] }>(`/api/v1/results?agent=${agent}&check=${check}&limit=10000`).then((r) => r.results.length);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

beforeAll(async () => {
  d = await TestDeployment.create();
  hook = await WebhookReceiver.start();
  web = new Service(await freePort());
  // Answers UP and DOWN in turn: a check that expects UP flaps on every run.
  flappy = new Service(await freePort(), (n) => (n % 2 === 0 ? 'UP\n' : 'DOWN\n'));
  await web.open();
  await flappy.open();
  configFile = join(d.root, 'collector.yaml');
  writeFileSync(
    configFile,
    [
      'state:',
      '  grace: 3s',
      '  flap_changes: 4',
      '  flap_window: 5m',
      'agents:',
      '  - match: "lab-*"',
      '    labels: { segment: lab }',
      ...hook.notifyConfig(),
      '',
    ].join('\n'),
  );
  await d.startCollector(['--config', configFile]);
  const every = { interval: '1s', timeout: '500ms' };
  await d.initAgent('lab-1', { checks: [{ id: 'web', type: 'tcp', target: `127.0.0.1:${web.port}`, ...every }] });
  await d.initAgent('lab-2', { checks: [{ id: 'flappy', type: 'tcp', target: `127.0.0.1:${flappy.port}`, steps: [{ expect: '^UP' }], ...every }] });
  d.startAgent('lab-1');
  d.startAgent('lab-2');
}, 60_000);

afterAll(async () => {
  await d?.cleanup();
  await hook?.stop();
  await web?.close();
  await flappy?.close();
});

describe('state engine, notifications and satellite liveness', () => {
  it('pages once when a check fails and once when it recovers, with the event in the history', async () => {
    await eventually('web OK', async () => ((await checks('lab-1')).find((c) => c.check === 'web')?.status === 'OK' ? true : undefined), 30_000);
    const [agent] = (await d.api<{ agents: AgentView[] }>('/api/v1/agents')).agents.filter((a) => a.name === 'lab-1');
    expect(agent).toMatchObject({ health: 'ok', segment: 'lab', labels: { segment: 'lab' } });
    await web.close();
    await eventually('a CRITICAL page for web', () => (hook.matching({ agent: 'lab-1', check: 'web', to: 'CRITICAL' }).length > 0 ? true : undefined), 30_000);
    // More failing runs change nothing: still one page.
    const before = await resultCount('lab-1', 'web');
    await eventually('three more failing runs', async () => ((await resultCount('lab-1', 'web')) >= before + 3 ? true : undefined), 30_000);
    expect(hook.matching({ agent: 'lab-1', check: 'web', to: 'CRITICAL' })).toHaveLength(1);
    const [page] = hook.matching({ agent: 'lab-1', check: 'web', to: 'CRITICAL' });
    expect(page).toMatchObject({ kind: 'check', from: 'OK', backfilled: false, rule: 'everything', notifier: 'hook', labels: { segment: 'lab' } });
    await web.open();
    await eventually('a recovery page', () => (hook.matching({ agent: 'lab-1', check: 'web', to: 'OK' }).length > 0 ? true : undefined), 30_000);
    const history = await events('agent=lab-1&check=web&kind=check');
    expect(history.map((e) => `${e.from}>${e.to}`)).toEqual(['CRITICAL>OK', 'OK>CRITICAL', 'null>OK']);
    // The first OK is recorded but never paged.
    expect(hook.matching({ agent: 'lab-1', check: 'web' }).map((n) => `${n.from}>${n.to}`)).toEqual(['OK>CRITICAL', 'CRITICAL>OK']);
  });

  it('marks a flapping check, pages that once and then stays quiet', async () => {
    await eventually('flapping start page', () => (hook.matching({ agent: 'lab-2', kind: 'flapping_start' }).length > 0 ? true : undefined), 60_000);
    const paged = hook.matching({ agent: 'lab-2', kind: 'check' }).length;
    expect(paged).toBeLessThanOrEqual(4);
    const before = await resultCount('lab-2', 'flappy');
    await eventually('six more flapping runs', async () => ((await resultCount('lab-2', 'flappy')) >= before + 6 ? true : undefined), 30_000);
    expect(hook.matching({ agent: 'lab-2', kind: 'check' })).toHaveLength(paged);
    expect(hook.matching({ agent: 'lab-2', kind: 'flapping_start' })).toHaveLength(1);
    expect((await checks('lab-2'))[0]).toMatchObject({ flapping: true });
    // Every change after the flapping start is recorded as suppressed. Not one per run: on a
    // loaded machine a run may time out on the DOWN side and change nothing.
    const history = await events('agent=lab-2');
    const after = history.slice(0, history.findIndex((e) => e.kind === 'flapping_start')).filter((e) => e.kind === 'check');
    expect(after.length).toBeGreaterThanOrEqual(1);
    expect(after.filter((e) => e.suppressed !== 'flapping')).toEqual([]);
    await d.agents.get('lab-2')!.stop('SIGTERM');
  });

  it('calls a stopped agent silent after its grace period: one event, one page, its checks UNKNOWN', async () => {
    await eventually('web OK again', async () => ((await checks('lab-1'))[0]?.status === 'OK' ? true : undefined), 30_000);
    const pagesBefore = hook.matching({ agent: 'lab-1' }).length;
    await d.agents.get('lab-1')!.stop('SIGTERM');
    await eventually('lab-1 silent', async () => {
      const agents = (await d.api<{ agents: AgentView[] }>('/api/v1/agents')).agents;
      return agents.find((a) => a.name === 'lab-1')?.health === 'silent' ? true : undefined;
    }, 30_000);
    expect(await checks('lab-1')).toMatchObject([{ check: 'web', status: 'UNKNOWN', reportedStatus: 'OK', satelliteSilent: true }]);
    await eventually('the silent page', () => (hook.matching({ agent: 'lab-1', kind: 'agent_silent' }).length > 0 ? true : undefined), 30_000);
    await sleep(4_000); // two more grace periods: nothing fires twice
    expect(hook.matching({ agent: 'lab-1', kind: 'agent_silent' })).toHaveLength(1);
    expect(hook.matching({ agent: 'lab-1' })).toHaveLength(pagesBefore + 1);
    expect(await events('agent=lab-1&kind=agent_silent')).toHaveLength(1);
  });

  it('rebuilds an outage from the backlog: incidents in history, no page for what is over, one summary', async () => {
    // The agent runs with no way to the collector; meanwhile the service fails for a while and recovers.
    await d.stopCollector();
    d.startAgent('lab-1');
    await sleep(2_000);
    await web.close();
    await sleep(3_500);
    await web.open();
    await sleep(2_500);
    const pagesBefore = hook.matching({ agent: 'lab-1' }).length;
    await d.startCollector(['--config', configFile]);
    await eventually('the summary page', () => (hook.matching({ agent: 'lab-1', kind: 'summary' }).length > 0 ? true : undefined), 60_000);
    const [summary] = hook.matching({ agent: 'lab-1', kind: 'summary' });
    expect(summary!.message).toMatch(/^lab-1 back after \d+ (s|min)\b.*: [\d,]+ results, 1 incident during outage$/);
    const history = await events('agent=lab-1&check=web&kind=check');
    expect(history.slice(0, 2).map((e) => `${e.from}>${e.to}:${e.backfilled}`)).toEqual(['CRITICAL>OK:true', 'OK>CRITICAL:true']);
    expect(await events('agent=lab-1&kind=agent_back')).toHaveLength(1);
    // The only new pages are the return (the recovery of the silent page) and the summary:
    // the finished incident is history, not news.
    expect(hook.matching({ agent: 'lab-1' }).slice(pagesBefore).map((n) => n.kind)).toEqual(['agent_back', 'summary']);
    expect(await checks('lab-1')).toMatchObject([{ check: 'web', status: 'OK', satelliteSilent: false }]);
  });
});
