import { readFileSync } from 'node:fs';
import { ErrorCode, isOutpostError } from '@outpost/protocol';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { notifyConfigSchema } from './config.js';
import { capturingLogger, TempDatabase, TestReceiver } from './notify-test-peers.js';
import { testRule } from './test-rule.js';

let temp: TempDatabase;
const receivers: TestReceiver[] = [];
beforeEach(() => {
  temp = new TempDatabase();
});
afterEach(async () => {
  await Promise.all(receivers.splice(0).map((r) => r.close()));
  temp.remove();
});

describe('testRule', () => {
  it('sends one test event to every notifier of the rule, once, without retries', async () => {
    const ok = await TestReceiver.start();
    const broken = await TestReceiver.start(() => 500);
    receivers.push(ok, broken);
    const out = temp.path('stdin.json');
    const config = notifyConfigSchema.parse({
      notifiers: {
        hook: { type: 'webhook', url: ok.url, secret: 'k' },
        broken: { type: 'webhook', url: broken.url, retries: 5, backoff_min: '10ms' },
        pager: { type: 'command', argv: temp.script('write.mjs', `import { readFileSync, writeFileSync } from 'node:fs'; writeFileSync(process.argv[2], readFileSync(0));`, out) },
      },
      rules: [{ name: 'critical-ot', match: { statuses: ['CRITICAL'] }, notify: ['hook', 'broken', 'pager'] }],
    });
    const { logger, warnings } = capturingLogger();
    const outcomes = await testRule(config, 'critical-ot', { logger, now: () => 1_700_000_000_000 });
    expect(outcomes).toEqual([
      { notifier: 'hook', ok: true, attempts: 1 },
      { notifier: 'broken', ok: false, attempts: 1, error: expect.stringContaining('HTTP 500') },
      { notifier: 'pager', ok: true, attempts: 1 },
    ]);
    expect(broken.requests).toHaveLength(1);
    expect(ok.bodies()).toEqual([
      {
        id: 0,
        kind: 'test',
        agent: 'outpost-test',
        check: null,
        at: 1_700_000_000_000,
        from: null,
        to: null,
        previousDurationMs: null,
        backfilled: false,
        message: 'test notification for rule critical-ot from outpost-collector',
        labels: {},
        rule: 'critical-ot',
        notifier: 'hook',
        sentAt: 1_700_000_000_000,
      },
    ]);
    expect(ok.requests[0]!.headers['x-outpost-signature']).toMatch(/^sha256=[0-9a-f]{64}$/);
    expect(JSON.parse(readFileSync(out, 'utf8'))).toMatchObject({ kind: 'test', notifier: 'pager' });
    expect(warnings()).toMatchObject([{ msg: 'test notification failed', notifier: 'broken' }]);
  });

  it('names the known rules when asked for an unknown one', async () => {
    const config = notifyConfigSchema.parse({
      notifiers: { hook: { type: 'webhook', url: 'http://127.0.0.1:9/hook' } },
      rules: [{ name: 'a', notify: ['hook'] }, { name: 'b', notify: ['hook'] }],
    });
    const err = await testRule(config, 'c', { logger: capturingLogger().logger }).catch((e: unknown) => e);
    expect(isOutpostError(err, ErrorCode.CONFIG)).toBe(true);
    expect((err as Error).message).toBe('notify rule "c" is not defined (defined: a, b)');
  });
});
