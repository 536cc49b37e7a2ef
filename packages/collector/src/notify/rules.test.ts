import { describe, expect, it } from 'vitest';
import { notifyConfigSchema, type NotifyConfigInput } from './config.js';
import { alertEvent as event } from './notify-test-peers.js';
import { globMatches, routeEvent } from './rules.js';
import type { AlertEvent } from './types.js';

const notifiers = {
  hook: { type: 'webhook', url: 'http://127.0.0.1:9/hook' },
  pager: { type: 'command', argv: ['/bin/true'] },
} as const;

function config(rules: NotifyConfigInput['rules'], notifyBackfilled = false) {
  return notifyConfigSchema.parse({ notify_backfilled: notifyBackfilled, notifiers, rules });
}

/** The rule names that get the event. */
function rulesFor(cfg: ReturnType<typeof config>, e: AlertEvent): string[] {
  return [...new Set(routeEvent(cfg, e).map((r) => r.rule))];
}

describe('globMatches', () => {
  it.each([
    ['plant-*', 'plant-7', true],
    ['plant-*', 'plant-', true],
    ['plant-*', 'xplant-7', false],
    ['lab-?', 'lab-1', true],
    ['lab-?', 'lab-12', false],
    ['web.*', 'web.example', true],
    ['web.*', 'webXexample', false],
    ['a+b', 'a+b', true],
    ['a+b', 'aab', false],
    ['*', '', true],
  ])('%s against %s is %s', (pattern, text, expected) => {
    expect(globMatches(pattern, text)).toBe(expected);
  });
});

describe('routeEvent', () => {
  it('sends every (rule, notifier) pair once, in rule order', () => {
    const cfg = config([
      { name: 'first', notify: ['hook', 'pager', 'hook'] },
      { name: 'second', notify: ['hook'] },
    ]);
    expect(routeEvent(cfg, event())).toEqual([
      { rule: 'first', notifier: 'hook' },
      { rule: 'first', notifier: 'pager' },
      { rule: 'second', notifier: 'hook' },
    ]);
  });

  it('matches agents and checks by glob; agent-level events pass a checks filter', () => {
    const cfg = config([{ name: 'r', match: { agents: ['plant-*', 'lab-1'], checks: ['web*'] }, notify: ['hook'] }]);
    expect(rulesFor(cfg, event({ agent: 'plant-3', check: 'web-tls' }))).toEqual(['r']);
    expect(rulesFor(cfg, event({ agent: 'lab-1', check: 'web' }))).toEqual(['r']);
    expect(rulesFor(cfg, event({ agent: 'lab-2', check: 'web' }))).toEqual([]);
    expect(rulesFor(cfg, event({ agent: 'lab-1', check: 'dns' }))).toEqual([]);
    expect(rulesFor(cfg, event({ kind: 'agent_silent', agent: 'lab-1', check: null, from: 'OK', to: 'UNKNOWN' }))).toEqual(['r']);
  });

  it('requires every given label to be equal', () => {
    const cfg = config([{ name: 'ot', match: { labels: { segment: 'ot', site: 'north' } }, notify: ['hook'] }]);
    expect(rulesFor(cfg, event({ labels: { segment: 'ot', site: 'north', extra: 'x' } }))).toEqual(['ot']);
    expect(rulesFor(cfg, event({ labels: { segment: 'ot' } }))).toEqual([]);
    expect(rulesFor(cfg, event({ labels: { segment: 'it', site: 'north' } }))).toEqual([]);
    expect(rulesFor(cfg, event({ labels: {} }))).toEqual([]);
  });

  it('matches statuses on the new status; status-less events pass', () => {
    const cfg = config([{ name: 'bad', match: { statuses: ['CRITICAL', 'UNKNOWN'] }, notify: ['hook'] }]);
    expect(rulesFor(cfg, event({ from: 'OK', to: 'CRITICAL' }))).toEqual(['bad']);
    expect(rulesFor(cfg, event({ from: 'OK', to: 'WARNING' }))).toEqual([]);
    expect(rulesFor(cfg, event({ kind: 'agent_silent', check: null, to: 'UNKNOWN' }))).toEqual(['bad']);
    expect(rulesFor(cfg, event({ kind: 'summary', check: null, from: null, to: null }))).toEqual(['bad']);
  });

  it('sends recoveries from a matched status only when recoveries is on', () => {
    const on = config([{ name: 'bad', match: { statuses: ['CRITICAL'] }, notify: ['hook'] }]);
    const off = config([{ name: 'bad', match: { statuses: ['CRITICAL'] }, notify: ['hook'], recoveries: false }]);
    const recovered = event({ from: 'CRITICAL', to: 'OK' });
    expect(rulesFor(on, recovered)).toEqual(['bad']);
    expect(rulesFor(off, recovered)).toEqual([]);
    // Recovered from a status the rule never sent: no recovery either.
    expect(rulesFor(on, event({ from: 'WARNING', to: 'OK' }))).toEqual([]);
    // agent_back is the recovery of agent_silent, which is sent as UNKNOWN.
    const unknown = config([{ name: 'silent', match: { statuses: ['UNKNOWN'] }, notify: ['hook'] }]);
    const back = event({ kind: 'agent_back', check: null, from: 'UNKNOWN', to: null });
    expect(rulesFor(unknown, back)).toEqual(['silent']);
    expect(rulesFor(on, back)).toEqual([]);
    // Without statuses, recoveries: false means no recoveries at all.
    const all = config([{ name: 'all', notify: ['hook'], recoveries: false }]);
    expect(rulesFor(all, recovered)).toEqual([]);
    expect(rulesFor(all, back)).toEqual([]);
    expect(rulesFor(all, event({ from: 'OK', to: 'CRITICAL' }))).toEqual(['all']);
  });

  it('filters kinds, and never routes test events', () => {
    const cfg = config([
      { name: 'silence', match: { kinds: ['agent_silent', 'agent_back'] }, notify: ['hook'] },
      { name: 'everything', notify: ['pager'] },
    ]);
    expect(rulesFor(cfg, event())).toEqual(['everything']);
    expect(rulesFor(cfg, event({ kind: 'agent_silent', check: null, to: 'UNKNOWN' }))).toEqual(['silence', 'everything']);
    expect(rulesFor(cfg, event({ kind: 'flapping_start' }))).toEqual(['everything']);
    expect(routeEvent(cfg, event({ kind: 'test' }))).toEqual([]);
  });

  it('sends backfilled events only where notify_backfilled is on (rule over global)', () => {
    const backfilled = event({ backfilled: true });
    const rules = [
      { name: 'inherit', notify: ['hook'] },
      { name: 'yes', notify: ['hook'], notify_backfilled: true },
      { name: 'no', notify: ['hook'], notify_backfilled: false },
    ];
    expect(rulesFor(config(rules, false), backfilled)).toEqual(['yes']);
    expect(rulesFor(config(rules, true), backfilled)).toEqual(['inherit', 'yes']);
    expect(rulesFor(config(rules, false), event())).toEqual(['inherit', 'yes', 'no']);
  });

  it('routes reminders only to rules with a reminder interval, matched as the problem', () => {
    const cfg = config([
      { name: 'checks', match: { kinds: ['check'], statuses: ['CRITICAL'] }, notify: ['hook'], reminder: '1h' },
      { name: 'silent', match: { kinds: ['agent_silent'] }, notify: ['hook'], reminder: '2h' },
      { name: 'no-reminder', notify: ['hook'] },
    ]);
    expect(rulesFor(cfg, event({ kind: 'reminder', from: null, to: 'CRITICAL' }))).toEqual(['checks']);
    expect(rulesFor(cfg, event({ kind: 'reminder', from: null, to: 'WARNING' }))).toEqual([]);
    expect(rulesFor(cfg, event({ kind: 'reminder', check: null, from: null, to: 'UNKNOWN' }))).toEqual(['silent']);
  });
});
