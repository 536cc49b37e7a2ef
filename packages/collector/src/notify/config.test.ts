import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { notifyConfigSchema } from './config.js';

const EXAMPLE = `
notify_backfilled: false
notifiers:
  ops-hook:
    type: webhook
    url: http://127.0.0.1:9000/hook
    headers: { Authorization: "Bearer abc" }
    secret: "s3cret"
    timeout: 5s
    retries: 8
    backoff_min: 1s
    backoff_max: 5m
  pager:
    type: command
    argv: [/usr/local/bin/page, --urgent]
    timeout: 10s
    retries: 3
rules:
  - name: critical-ot
    match:
      agents: ["plant-*", lab-1]
      checks: ["web*"]
      statuses: [CRITICAL, UNKNOWN]
      kinds: [check, agent_silent, summary]
      labels: { segment: ot }
    notify: [ops-hook, pager]
    recoveries: true
    reminder: 1h
    notify_backfilled: false
`;

function issues(input: unknown): { path: string; message: string }[] {
  const result = notifyConfigSchema.safeParse(input);
  expect(result.success).toBe(false);
  return result.error!.issues.map((issue) => ({ path: issue.path.join('.'), message: issue.message }));
}

const hook = { type: 'webhook', url: 'http://127.0.0.1:9000/hook' };

describe('notifyConfigSchema', () => {
  it('parses the documented example into milliseconds and camelCase', () => {
    const config = notifyConfigSchema.parse(parse(EXAMPLE));
    expect(config.notifyBackfilled).toBe(false);
    expect(config.notifiers['ops-hook']).toEqual({
      type: 'webhook',
      url: 'http://127.0.0.1:9000/hook',
      headers: { Authorization: 'Bearer abc' },
      secret: 's3cret',
      timeoutMs: 5_000,
      retries: 8,
      backoffMinMs: 1_000,
      backoffMaxMs: 300_000,
    });
    expect(config.notifiers['pager']).toEqual({ type: 'command', argv: ['/usr/local/bin/page', '--urgent'], timeoutMs: 10_000, retries: 3, backoffMinMs: 1_000, backoffMaxMs: 300_000 });
    expect(config.rules).toEqual([
      {
        name: 'critical-ot',
        match: { agents: ['plant-*', 'lab-1'], checks: ['web*'], statuses: ['CRITICAL', 'UNKNOWN'], kinds: ['check', 'agent_silent', 'summary'], labels: { segment: 'ot' } },
        notify: ['ops-hook', 'pager'],
        recoveries: true,
        reminderMs: 3_600_000,
        notifyBackfilled: false,
      },
    ]);
  });

  it('fills defaults: empty section, webhook 5s/8 retries/1s-5m, rules matching everything with recoveries', () => {
    expect(notifyConfigSchema.parse({})).toEqual({ notifyBackfilled: false, notifiers: {}, rules: [] });
    const config = notifyConfigSchema.parse({ notifiers: { hook }, rules: [{ name: 'all', notify: ['hook'] }] });
    expect(config.notifiers['hook']).toMatchObject({ timeoutMs: 5_000, retries: 8, backoffMinMs: 1_000, backoffMaxMs: 300_000, headers: {}, secret: undefined });
    expect(config.rules[0]).toEqual({
      name: 'all',
      match: { agents: undefined, checks: undefined, statuses: undefined, kinds: undefined, labels: undefined },
      notify: ['hook'],
      recoveries: true,
      reminderMs: undefined,
      notifyBackfilled: undefined,
    });
    const command = notifyConfigSchema.parse({ notifiers: { p: { type: 'command', argv: ['/bin/true'] } } });
    expect(command.notifiers['p']).toMatchObject({ timeoutMs: 10_000, retries: 8 });
  });

  it('names the rule and the missing notifier, at the path of the reference', () => {
    const found = issues({ notifiers: { hook }, rules: [{ name: 'critical-ot', notify: ['hook', 'pagr'] }] });
    expect(found).toEqual([{ path: 'rules.0.notify.1', message: expect.stringContaining('rule "critical-ot" names notifier "pagr"') }]);
    expect(found[0]!.message).toContain('defined: hook');
  });

  it('rejects duplicate rule names', () => {
    const found = issues({ notifiers: { hook }, rules: [{ name: 'a', notify: ['hook'] }, { name: 'b', notify: ['hook'] }, { name: 'a', notify: ['hook'] }] });
    expect(found).toEqual([{ path: 'rules.2.name', message: expect.stringContaining('"a" is used more than once') }]);
  });

  it('accepts http and https only', () => {
    expect(issues({ notifiers: { hook: { type: 'webhook', url: 'ftp://192.0.2.1/hook' } } })).toEqual([
      { path: 'notifiers.hook.url', message: 'expected an http:// or https:// URL' },
    ]);
    expect(issues({ notifiers: { hook: { type: 'webhook', url: 'not a url' } } })[0]!.path).toBe('notifiers.hook.url');
    expect(notifyConfigSchema.parse({ notifiers: { hook: { type: 'webhook', url: 'https://192.0.2.1/hook' } } }).notifiers['hook']).toMatchObject({ url: 'https://192.0.2.1/hook' });
  });

  it('says what a duration, a kind, a status or an unknown key should have been', () => {
    expect(issues({ notifiers: { hook: { ...hook, timeout: 'soon' } } })).toEqual([{ path: 'notifiers.hook.timeout', message: expect.stringContaining('expected a duration') }]);
    expect(issues({ notifiers: { hook: { ...hook, backoff_min: '10m', backoff_max: '1m' } } })).toEqual([
      { path: 'notifiers.hook.backoff_min', message: expect.stringContaining('not above backoff_max') },
    ]);
    expect(issues({ notifiers: { hook }, rules: [{ name: 'r', match: { kinds: ['test'] }, notify: ['hook'] }] })[0]!.path).toBe('rules.0.match.kinds.0');
    expect(issues({ notifiers: { hook }, rules: [{ name: 'r', match: { statuses: ['BAD'] }, notify: ['hook'] }] })[0]!.path).toBe('rules.0.match.statuses.0');
    expect(issues({ notifiers: { hook: { ...hook, retry: 3 } } })[0]).toMatchObject({ path: 'notifiers.hook', message: expect.stringContaining('retry') });
    expect(issues({ notifiers: { hook: { type: 'email', to: 'x' } } })[0]!.path).toBe('notifiers.hook.type');
    expect(issues({ notifiers: { p: { type: 'command', argv: [] } } })[0]!.path).toBe('notifiers.p.argv');
    expect(issues({ notifiers: { hook: { ...hook, headers: { 'X-Bad': 'a\r\nInjected: 1' } } } })[0]!.path).toBe('notifiers.hook.headers.X-Bad');
  });
});
