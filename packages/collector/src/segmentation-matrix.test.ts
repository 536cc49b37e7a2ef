import { Status } from '@outpost/protocol';
import { describe, expect, it } from 'vitest';
import { generateChecks } from './segmentation-checks.js';
import { describeFinding, judgeAgent, judgeCell, parseFindings, policyMentions, worst, type AgentObservation, type PortFinding } from './segmentation-matrix.js';
import { segmentationSchema, type SegmentationRule } from './segmentation-policy.js';
import type { CheckStateRecord } from './store.js';

const INTERVAL = 60_000;
const NOW = 1_800_000_000_000;
const DENY: SegmentationRule = { index: 1, from: 'office', to: 'db', action: 'deny', ports: [5432] };
const ALLOW: SegmentationRule = { index: 0, from: 'office', to: 'web', action: 'allow', ports: [80, 443] };

function state(status: Status, observation: string, overrides: Partial<CheckStateRecord> = {}): CheckStateRecord {
  return {
    agent: 'office-1', checkId: 'seg:office:db', status, observation, message: `exposure: ${observation}`,
    startedAt: NOW - 5_000, resultId: 7, since: NOW - 5_000, durationUs: 2_000_000, metrics: {}, lastOk: null, flapping: false, everyMs: null, gapMs: null, configHash: null, reportedAt: null, ...overrides,
  };
}

function seen(s: CheckStateRecord | undefined, findings?: Partial<NonNullable<AgentObservation['findings']>>, overrides: Partial<AgentObservation> = {}): AgentObservation {
  const parsed = findings === undefined ? undefined : { violations: [], missing: [], aborted: false, ...findings };
  return { agent: 'office-1', agentId: 1, silent: false, state: s, findings: parsed, ...overrides };
}

const open = (port: number, host = '192.0.2.20'): PortFinding => ({ host, port, state: 'open', banner: 'SSH-2.0-dropbear_2022.83\r\n', service: 'ssh' });
const shut = (port: number, how: 'closed' | 'filtered', host = '192.0.2.10'): PortFinding => ({ host, port, state: how });
const OK = state(Status.OK, 'compliant');

describe('judgeAgent: green', () => {
  it('a denied path closed or filtered', () => {
    expect(judgeAgent(DENY, seen(OK), INTERVAL, NOW)).toEqual({ agent: 'office-1', agentId: 1, colour: 'green', reason: 'closed or filtered as the policy says', checkedAt: NOW - 5_000, ports: [] });
  });

  it('an allowed path open', () => {
    expect(judgeAgent(ALLOW, seen(OK), INTERVAL, NOW)).toMatchObject({ colour: 'green', reason: 'open as the policy says', ports: [] });
  });

  it('a watch port open beside a closed denied port (that is an unexpected service, not this cell)', () => {
    const verdict = judgeAgent(DENY, seen(state(Status.CRITICAL, 'violation'), { violations: [open(22)] }), INTERVAL, NOW);
    expect(verdict).toMatchObject({ colour: 'green', ports: [] });
  });

  it('a watch port open beside open allowed ports', () => {
    expect(judgeAgent(ALLOW, seen(state(Status.CRITICAL, 'violation'), { violations: [open(22, '192.0.2.10')] }), INTERVAL, NOW)).toMatchObject({ colour: 'green' });
  });
});

describe('judgeAgent: red and amber with their evidence', () => {
  it('red for a denied port found open, with the agent, host, port, time, banner and service', () => {
    const finding = open(5432);
    const verdict = judgeAgent(DENY, seen(state(Status.CRITICAL, 'violation'), { violations: [open(22), finding] }), INTERVAL, NOW);
    expect(verdict).toEqual({ agent: 'office-1', agentId: 1, colour: 'red', reason: 'denied path open', checkedAt: NOW - 5_000, ports: [finding] });
    expect(describeFinding(verdict.ports[0]!)).toBe('192.0.2.20:5432 open (ssh "SSH-2.0-dropbear_2022.83\r\n")');
  });

  it('red on the check status alone when the result carried no readable evidence', () => {
    expect(judgeAgent(DENY, seen(state(Status.CRITICAL, 'violation', { message: '1 unexpected open: 192.0.2.20:5432' })), INTERVAL, NOW)).toMatchObject({ colour: 'red', reason: '1 unexpected open: 192.0.2.20:5432', ports: [] });
  });

  it('amber for an allowed port found closed or filtered, with the port and how', () => {
    const verdict = judgeAgent(ALLOW, seen(state(Status.CRITICAL, 'missing'), { missing: [shut(443, 'filtered')] }), INTERVAL, NOW);
    expect(verdict).toMatchObject({ colour: 'amber', reason: 'allowed path blocked', ports: [{ host: '192.0.2.10', port: 443, state: 'filtered' }] });
    expect(describeFinding(verdict.ports[0]!)).toBe('192.0.2.10:443 filtered');
  });

  it('amber when a watch port is open too (the result says violation, its evidence lists the missing port)', () => {
    const verdict = judgeAgent(ALLOW, seen(state(Status.CRITICAL, 'violation'), { violations: [open(22, '192.0.2.10')], missing: [shut(80, 'closed')] }), INTERVAL, NOW);
    expect(verdict).toMatchObject({ colour: 'amber', ports: [{ port: 80, state: 'closed' }] });
  });

  it('amber on the check status alone when the result carried no readable evidence', () => {
    expect(judgeAgent(ALLOW, seen(state(Status.CRITICAL, 'missing')), INTERVAL, NOW)).toMatchObject({ colour: 'amber', ports: [] });
  });

  it('red even from a scan that did not finish: an open denied port is proof enough', () => {
    expect(judgeAgent(DENY, seen(state(Status.CRITICAL, 'violation'), { violations: [open(5432)], aborted: true }), INTERVAL, NOW)).toMatchObject({ colour: 'red' });
  });
});

describe('judgeAgent: grey, with the reason', () => {
  it('no result within two intervals (a scan may take up to one interval)', () => {
    // Finished two intervals ago: the next result may still be on its way.
    const onTime = state(Status.OK, 'compliant', { startedAt: NOW - 2 * INTERVAL - 2_000, durationUs: 2_000_000 });
    expect(judgeAgent(DENY, seen(onTime), INTERVAL, NOW)).toMatchObject({ colour: 'green' });
    const late = state(Status.OK, 'compliant', { startedAt: NOW - 3 * INTERVAL - 2_000, durationUs: 2_000_000 });
    expect(judgeAgent(DENY, seen(late), INTERVAL, NOW)).toMatchObject({ colour: 'grey', reason: 'no result for 180 s', checkedAt: NOW - 3 * INTERVAL - 2_000 });
  });

  it('an old red result is not a breach now', () => {
    const old = state(Status.CRITICAL, 'violation', { startedAt: NOW - 10 * INTERVAL });
    expect(judgeAgent(DENY, seen(old, { violations: [open(5432)] }), INTERVAL, NOW)).toMatchObject({ colour: 'grey' });
  });

  it('a silent satellite, whatever its last result said', () => {
    expect(judgeAgent(DENY, seen(state(Status.CRITICAL, 'violation'), { violations: [open(5432)] }, { silent: true }), INTERVAL, NOW)).toMatchObject({ colour: 'grey', reason: 'satellite silent' });
  });

  it('no result yet', () => {
    expect(judgeAgent(DENY, seen(undefined), INTERVAL, NOW)).toMatchObject({ colour: 'grey', reason: 'no result yet', checkedAt: null });
  });

  it('a scan that did not finish (UNKNOWN)', () => {
    const stopped = state(Status.UNKNOWN, 'timeout', { message: 'scan stopped after 10 of 40 probes in 60.00 s' });
    expect(judgeAgent(ALLOW, seen(stopped), INTERVAL, NOW)).toMatchObject({ colour: 'grey', reason: 'scan stopped after 10 of 40 probes in 60.00 s' });
  });

  it('a stopped scan that found only a watch port open cannot vouch for the denied ports', () => {
    const stopped = state(Status.CRITICAL, 'violation', { message: '1 unexpected open: 192.0.2.20:22; scan stopped after 3 of 40 probes' });
    expect(judgeAgent(DENY, seen(stopped, { violations: [open(22)], aborted: true }), INTERVAL, NOW)).toMatchObject({
      colour: 'grey', reason: 'scan did not finish: 1 unexpected open: 192.0.2.20:22; scan stopped after 3 of 40 probes',
    });
  });

  it('a stopped scan cannot vouch for allowed ports it never tried (it reports none missing)', () => {
    expect(judgeAgent(ALLOW, seen(state(Status.CRITICAL, 'violation'), { violations: [open(22, '192.0.2.10')], aborted: true }), INTERVAL, NOW)).toMatchObject({ colour: 'grey' });
  });
});

describe('judgeCell', () => {
  const agentsSeeing = (...colours: ('green' | 'red' | 'amber' | 'grey')[]) =>
    colours.map((colour, i) => {
      const base = { agent: `office-${i + 1}`, agentId: i + 1 };
      if (colour === 'red') return seen(state(Status.CRITICAL, 'violation'), { violations: [open(5432)] }, base);
      if (colour === 'grey') return seen(undefined, undefined, base);
      return seen(OK, undefined, base);
    });

  it('is the worst of its agents: red, then amber, then grey, then green', () => {
    expect(worst([])).toBe('green');
    expect(worst(['green', 'grey'])).toBe('grey');
    expect(worst(['grey', 'amber', 'green'])).toBe('amber');
    expect(worst(['amber', 'red', 'grey'])).toBe('red');
    expect(worst(['red', 'amber'])).toBe('red');
    expect(judgeCell(DENY, agentsSeeing('green', 'green'), INTERVAL, NOW).colour).toBe('green');
    expect(judgeCell(DENY, agentsSeeing('green', 'grey', 'green'), INTERVAL, NOW).colour).toBe('grey');
    const cell = judgeCell(DENY, agentsSeeing('grey', 'red', 'green'), INTERVAL, NOW);
    expect(cell).toMatchObject({ from: 'office', to: 'db', action: 'deny', colour: 'red' });
    expect(cell.agents.map((a) => [a.agent, a.colour])).toEqual([['office-1', 'grey'], ['office-2', 'red'], ['office-3', 'green']]);
  });

  it('is grey, saying why, when the segment has no agent', () => {
    expect(judgeCell(DENY, [], INTERVAL, NOW)).toEqual({ from: 'office', to: 'db', action: 'deny', colour: 'grey', reason: 'no agent in the segment', agents: [] });
  });
});

describe('precedence', () => {
  const policy = (precedence: 'allow' | 'deny') =>
    segmentationSchema.parse({
      precedence,
      segments: [{ name: 'office', agents: ['office-*'] }],
      targets: [
        { name: 'web', hosts: ['192.0.2.10'], ports: '80,443' },
        { name: 'web-tls', hosts: ['192.0.2.10'], ports: '443' },
      ],
      rules: [
        { from: 'office', to: 'web', action: 'allow' },
        { from: 'office', to: 'web-tls', action: 'deny' },
      ],
    });

  it('deny first: the allowed cell leaves the shared port to the deny cell', () => {
    const [allow, deny] = policy('deny').rules;
    expect([allow!.ports, deny!.ports]).toEqual([[80], [443]]);
    expect(generateChecks(policy('deny'), 'office-1', {}).map((c) => [c.id, c.ports, c.must_open])).toEqual([['seg:office:web', '80', '80'], ['seg:office:web-tls', '443', '']]);
    // 443 open: red in the deny cell; the allow cell does not even scan it.
    const red = judgeCell(deny!, [seen(state(Status.CRITICAL, 'violation'), { violations: [open(443, '192.0.2.10')] })], INTERVAL, NOW);
    expect(red.colour).toBe('red');
    // 443 filtered: what the deny rule wants, and nothing the allow cell judges.
    expect(judgeCell(allow!, [seen(state(Status.CRITICAL, 'missing'), { missing: [shut(443, 'filtered')] })], INTERVAL, NOW).colour).toBe('green');
    expect(judgeCell(allow!, [seen(state(Status.CRITICAL, 'missing'), { missing: [shut(80, 'filtered')] })], INTERVAL, NOW).colour).toBe('amber');
  });

  it('allow first: a deny rule with nothing left to judge gets no check and says so', () => {
    const [allow, deny] = policy('allow').rules;
    expect([allow!.ports, deny!.ports]).toEqual([[80, 443], []]);
    expect(generateChecks(policy('allow'), 'office-1', {}).map((c) => c.id)).toEqual(['seg:office:web']);
    const cell = judgeCell(deny!, [seen(undefined)], INTERVAL, NOW);
    expect(cell).toMatchObject({ colour: 'grey', reason: 'no ports left to judge: a rule that takes precedence judges them', agents: [] });
  });
});

describe('policyMentions', () => {
  const policy = segmentationSchema.parse({
    segments: [{ name: 'office', agents: [] }],
    targets: [
      { name: 'plc', hosts: ['192.0.2.64/28'], ports: '502' },
      { name: 'v6', hosts: ['2001:db8:0:0::10', 'DB.example'], ports: '5432' },
    ],
    rules: [{ from: 'office', to: 'plc', action: 'deny' }],
  });

  it('knows the ports a target names on its hosts and inside its CIDRs', () => {
    expect(policyMentions(policy, '192.0.2.64', 502)).toBe(true);
    expect(policyMentions(policy, '192.0.2.79', 502)).toBe(true);
    expect(policyMentions(policy, '192.0.2.80', 502)).toBe(false);
    expect(policyMentions(policy, '192.0.2.63', 502)).toBe(false);
    expect(policyMentions(policy, '192.0.2.70', 503)).toBe(false);
    expect(policyMentions(policy, 'db.example', 5432)).toBe(true);
  });

  it('compares IPv6 addresses by value, as the agent writes them', () => {
    expect(policyMentions(policy, '2001:db8::10', 5432)).toBe(true);
    expect(policyMentions(policy, '2001:db8::11', 5432)).toBe(false);
  });
});

describe('parseFindings and describeFinding', () => {
  const encode = (body: unknown) => new TextEncoder().encode(JSON.stringify(body));

  it('reads the violations, the missing ports and whether the scan stopped', () => {
    const body = { type: 'exposure', violations: [open(22), { host: 1, port: 2 }, { host: 'x', port: 'y' }], missing: [shut(80, 'closed')], aborted: true };
    expect(parseFindings(encode(body))).toEqual({ violations: [open(22)], missing: [shut(80, 'closed')], aborted: true });
    expect(parseFindings(encode({ type: 'exposure' }))).toEqual({ violations: [], missing: [], aborted: false });
  });

  it('ignores what is not an exposure transcript', () => {
    expect(parseFindings(null)).toBeUndefined();
    expect(parseFindings(encode({ type: 'tcp', violations: [open(22)] }))).toBeUndefined();
    expect(parseFindings(new TextEncoder().encode('{not json'))).toBeUndefined();
  });

  it('writes IPv6 hosts in brackets and shows what is known', () => {
    expect(describeFinding({ host: '2001:db8::10', port: 22, state: 'open' })).toBe('[2001:db8::10]:22 open');
    expect(describeFinding({ host: '192.0.2.1', port: 80, state: 'open', service: 'http' })).toBe('192.0.2.1:80 open (http)');
    expect(describeFinding({ host: '192.0.2.1', port: 81, state: 'open', banner: 'x'.repeat(60) })).toBe(`192.0.2.1:81 open ("${'x'.repeat(48)}")`);
  });
});
