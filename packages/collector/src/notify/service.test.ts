import { readFileSync } from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { notifyConfigSchema, type NotifyConfigInput } from './config.js';
import { alertEvent, capturingLogger, eventually, TempDatabase, TestCounters, TestReceiver } from './notify-test-peers.js';
import { NotificationService, type NotificationServiceOptions } from './service.js';
import type { ProblemSnapshot } from './types.js';

let temp: TempDatabase;
const receivers: TestReceiver[] = [];
const services: NotificationService[] = [];

beforeEach(() => {
  temp = new TempDatabase();
});
afterEach(async () => {
  await Promise.all(services.splice(0).map((s) => s.stop()));
  await Promise.all(receivers.splice(0).map((r) => r.close()));
  temp.remove();
});

async function receiver(...args: Parameters<typeof TestReceiver.start>): Promise<TestReceiver> {
  const r = await TestReceiver.start(...args);
  receivers.push(r);
  return r;
}

const fast = { retries: 8, backoff_min: '10ms', backoff_max: '50ms' };

function service(section: NotifyConfigInput, options: Partial<NotificationServiceOptions> = {}) {
  const log = capturingLogger();
  const counters = new TestCounters();
  const s = new NotificationService({ db: temp.open(), config: notifyConfigSchema.parse(section), logger: log.logger, counters, ...options });
  services.push(s);
  return { service: s, counters, ...log };
}

describe('NotificationService delivery', () => {
  it('delivers once after two 500 answers, recording the attempts', async () => {
    const r = await receiver((_, index) => (index < 2 ? 500 : 200));
    const { service: s, counters, warnings } = service({ notifiers: { hook: { type: 'webhook', url: r.url, ...fast } }, rules: [{ name: 'all', notify: ['hook'] }] });
    s.start();
    s.submit([alertEvent({ id: 42 })]);
    const [row] = await eventually('the notification to be sent', () => {
      const rows = s.list(10);
      return rows[0]?.state === 'sent' ? rows : undefined;
    });
    expect(row).toMatchObject({ eventId: 42, rule: 'all', notifier: 'hook', attempts: 3, lastError: null });
    expect(r.requests).toHaveLength(3);
    expect(r.bodies().map((b) => [b['id'], b['rule'], b['notifier'], typeof b['sentAt']])).toEqual([
      [42, 'all', 'hook', 'number'],
      [42, 'all', 'hook', 'number'],
      [42, 'all', 'hook', 'number'],
    ]);
    expect([counters.get('notify.enqueued'), counters.get('notify.retried'), counters.get('notify.sent'), counters.get('notify.failed')]).toEqual([1, 2, 1, 0]);
    expect(warnings().map((w) => [w.msg, w['error']])).toEqual([
      ['notification attempt failed; will retry', expect.stringContaining('HTTP 500')],
      ['notification attempt failed; will retry', expect.stringContaining('HTTP 500')],
    ]);
    expect(s.depth()).toEqual({ pending: 0, failed: 0 });
  });

  it('marks a notification failed once its retries are used up', async () => {
    const r = await receiver(() => 500);
    const { service: s, counters, warnings } = service({ notifiers: { hook: { type: 'webhook', url: r.url, ...fast, retries: 2 } }, rules: [{ name: 'all', notify: ['hook'] }] });
    s.start();
    s.submit([alertEvent()]);
    await eventually('the notification to fail', () => s.depth().failed === 1);
    expect(r.requests).toHaveLength(3);
    expect(s.list(1)[0]).toMatchObject({ state: 'failed', attempts: 3, lastError: expect.stringContaining('HTTP 500') });
    expect([counters.get('notify.retried'), counters.get('notify.failed'), counters.get('notify.sent')]).toEqual([2, 1, 0]);
    expect(warnings().at(-1)).toMatchObject({ msg: 'notification failed after 3 attempts; giving up', notifier: 'hook', attempt: 3 });
  });

  it('keeps delivering to others while one receiver hangs, and submit does not wait', async () => {
    const slow = await receiver(() => 'hang');
    const quick = await receiver();
    const { service: s } = service(
      {
        notifiers: { slow: { type: 'webhook', url: slow.url, timeout: '10m', ...fast }, quick: { type: 'webhook', url: quick.url, ...fast } },
        rules: [{ name: 'all', notify: ['slow', 'quick'] }],
      },
      { concurrency: 4, stopGraceMs: 100 },
    );
    s.start();
    s.submit([1, 2, 3, 4, 5, 6].map((id) => alertEvent({ id })));
    await eventually('six quick deliveries', () => quick.requests.length === 6);
    expect(slow.hanging).toBeGreaterThan(0);
    // More events while the slow receiver holds its requests: queued on the spot, delivered to the quick one.
    s.submit([alertEvent({ id: 7 })]);
    expect(s.list(1)[0]).toMatchObject({ eventId: 7, state: 'pending' });
    await eventually('the seventh quick delivery', () => quick.requests.length === 7);
    expect(quick.bodies().map((b) => b['id'])).toEqual([1, 2, 3, 4, 5, 6, 7]);
    // The hanging notifier holds at most its share of the delivery slots.
    expect(slow.requests.length).toBeLessThanOrEqual(2);
    expect(slow.hanging).toBe(slow.requests.length);
  });

  it('runs command notifiers and records their failures', async () => {
    const out = temp.path('stdin.json');
    const write = temp.script('write.mjs', `import { readFileSync, writeFileSync } from 'node:fs'; writeFileSync(process.argv[2], readFileSync(0));`, out);
    const fail = temp.script('fail.mjs', `process.stderr.write('no route to pager'); process.exit(3);`);
    const { service: s, counters } = service({
      notifiers: { writer: { type: 'command', argv: write, ...fast }, failing: { type: 'command', argv: fail, ...fast, retries: 1 } },
      rules: [{ name: 'all', notify: ['writer', 'failing'] }],
    });
    s.start();
    s.submit([alertEvent({ id: 9 })]);
    await eventually('both rows to settle', () => s.depth().pending === 0);
    expect(JSON.parse(readFileSync(out, 'utf8'))).toMatchObject({ id: 9, rule: 'all', notifier: 'writer', message: alertEvent().message });
    const rows = Object.fromEntries(s.list(10).map((r) => [r.notifier, r]));
    expect(rows['writer']).toMatchObject({ state: 'sent', attempts: 1 });
    expect(rows['failing']).toMatchObject({ state: 'failed', attempts: 2, lastError: expect.stringContaining('exited with 3: no route to pager') });
    expect([counters.get('notify.sent'), counters.get('notify.failed'), counters.get('notify.retried')]).toEqual([1, 1, 1]);
  });

  it('hands rows pending or interrupted at stop to the next service on the same database', async () => {
    const r = await receiver((_, index) => (index === 0 ? 'hang' : 200));
    const section = { notifiers: { hook: { type: 'webhook' as const, url: r.url, timeout: '10m', ...fast } }, rules: [{ name: 'all', notify: ['hook'] }] };
    const first = service(section, { concurrency: 1, stopGraceMs: 100 });
    first.service.start();
    first.service.submit([1, 2, 3].map((id) => alertEvent({ id })));
    await eventually('the first request to hang', () => r.hanging === 1);
    await first.service.stop();
    expect(first.service.depth()).toEqual({ pending: 3, failed: 0 });
    expect(first.warnings().map((w) => w.msg)).toEqual(['notification interrupted by shutdown; it stays queued']);

    const second = service(section);
    second.service.start();
    await eventually('all three delivered', () => second.service.depth().pending === 0);
    const delivered = r.bodies().slice(1).map((b) => b['id']);
    expect(delivered.sort()).toEqual([1, 2, 3]);
    expect(second.service.list(10).map((row) => [row.eventId, row.state, row.attempts])).toEqual([
      [3, 'sent', 1],
      [2, 'sent', 1],
      [1, 'sent', 1],
    ]);
  });

  it('gives up on rows whose notifier is no longer configured', async () => {
    const first = service({ notifiers: { old: { type: 'webhook', url: 'http://127.0.0.1:9/hook' } }, rules: [{ name: 'all', notify: ['old'] }] });
    first.service.submit([alertEvent()]);
    const r = await receiver();
    const second = service({ notifiers: { hook: { type: 'webhook', url: r.url } }, rules: [{ name: 'all', notify: ['hook'] }] });
    second.service.start();
    await eventually('the orphan row to fail', () => second.service.depth().failed === 1);
    expect(second.service.list(1)[0]).toMatchObject({ notifier: 'old', state: 'failed', attempts: 0, lastError: 'notifier "old" is no longer configured' });
    expect(r.requests).toHaveLength(0);
  });

  it('records backfilled events without queueing them unless asked to', () => {
    const { service: s, counters } = service({
      notifiers: { hook: { type: 'webhook', url: 'http://127.0.0.1:9/hook' } },
      rules: [{ name: 'quiet', notify: ['hook'] }, { name: 'loud', notify: ['hook'], notify_backfilled: true }],
    });
    s.submit([alertEvent({ backfilled: true }), alertEvent({ kind: 'test' })]);
    expect(s.list(10).map((r) => r.rule)).toEqual(['loud']);
    expect(counters.get('notify.enqueued')).toBe(1);
  });
});

describe('NotificationService reminders', () => {
  const T = 1_700_000_000_000;
  const MIN = 60_000;
  const problem: ProblemSnapshot = { agent: 'lab-1', check: 'web', status: 'CRITICAL', since: T, labels: { segment: 'ot' }, message: 'connection refused' };

  it('repeats an open problem once per interval, counting any notification for the same key', () => {
    let now = T;
    const { service: s } = service(
      {
        notifiers: { hook: { type: 'webhook', url: 'http://127.0.0.1:9/hook' }, pager: { type: 'command', argv: ['/bin/true'] } },
        rules: [
          { name: 'crit', match: { statuses: ['CRITICAL'], labels: { segment: 'ot' } }, notify: ['hook', 'pager'], reminder: '1h' },
          { name: 'it-only', match: { labels: { segment: 'it' } }, notify: ['hook'], reminder: '1h' },
          { name: 'no-reminder', notify: ['hook'] },
        ],
      },
      { now: () => now },
    );
    const reminders = () => s.list(100).filter((r) => r.kind === 'reminder');

    now = T + 30 * MIN;
    s.remind([problem]);
    expect(reminders()).toHaveLength(0);

    now = T + 61 * MIN;
    s.remind([problem]);
    expect(reminders().map((r) => [r.rule, r.notifier, r.payload.to, r.payload.check])).toEqual([
      ['crit', 'pager', 'CRITICAL', 'web'],
      ['crit', 'hook', 'CRITICAL', 'web'],
    ]);
    expect(reminders()[0]!.payload.message).toBe('lab-1/web: still CRITICAL after 1h1m: connection refused');

    now = T + 90 * MIN;
    s.remind([problem]);
    expect(reminders()).toHaveLength(2);

    now = T + 122 * MIN;
    s.remind([problem]);
    expect(reminders()).toHaveLength(4);

    // A regular notification for the same (rule, agent, check) resets the interval.
    now = T + 150 * MIN;
    s.submit([alertEvent({ from: 'WARNING', to: 'CRITICAL', labels: { segment: 'ot' } })]);
    now = T + 183 * MIN;
    s.remind([problem]);
    expect(reminders()).toHaveLength(4);
    now = T + 211 * MIN;
    s.remind([problem]);
    expect(reminders()).toHaveLength(6);
  });

  it('does not remind of problems no reminder rule matches, or of OK', () => {
    const now = T + 5 * 60 * MIN;
    const { service: s } = service(
      {
        notifiers: { hook: { type: 'webhook', url: 'http://127.0.0.1:9/hook' } },
        rules: [{ name: 'crit', match: { statuses: ['CRITICAL'] }, notify: ['hook'], reminder: '1h' }],
      },
      { now: () => now },
    );
    s.remind([{ ...problem, status: 'WARNING' }, { ...problem, status: 'OK' }]);
    expect(s.depth()).toEqual({ pending: 0, failed: 0 });
    s.remind([{ ...problem, check: null, status: 'CRITICAL' }]);
    expect(s.list(10).map((r) => [r.kind, r.check, r.payload.message])).toEqual([['reminder', null, 'lab-1: still CRITICAL after 5h: connection refused']]);
  });
});
