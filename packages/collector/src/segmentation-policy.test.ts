import { ErrorCode, OutpostError } from '@outpost/protocol';
import { stringify } from 'yaml';
import { describe, expect, it } from 'vitest';
import { labelsFor, parseCollectorConfig } from './collector-config.js';
import { generateChecks, inSegment } from './segmentation-checks.js';
import { ipv4Range, parsePorts, type SegmentationPolicy } from './segmentation-policy.js';

const FILE = '/etc/outpost/collector.yaml';

/** The policy of docs/segmentation.md: valid as it stands. */
const POLICY = {
  interval: '60s',
  max_cidr_prefix: 24,
  segments: [
    { name: 'office', agents: ['office-*'] },
    { name: 'dmz', agents: ['dmz-*'] },
    { name: 'plant', agents: ['plant-*'] },
  ],
  targets: [
    { name: 'dmz-web', hosts: ['192.0.2.10'], ports: '80,443' },
    { name: 'plant-plc', hosts: ['192.0.2.64/28'], ports: '502' },
    { name: 'plant-hmi', hosts: ['192.0.2.70'], ports: '3389,5900' },
  ],
  rules: [
    { from: 'office', to: 'dmz-web', action: 'allow' },
    { from: 'office', to: 'plant-plc', action: 'deny' },
    { from: 'dmz', to: 'plant-plc', action: 'deny' },
    { from: 'dmz', to: 'plant-hmi', action: 'deny' },
    { from: 'plant', to: 'plant-hmi', action: 'allow' },
  ],
};

function parse(segmentation: Record<string, unknown>): SegmentationPolicy {
  return parseCollectorConfig(stringify({ segmentation }), FILE).segmentation!;
}

/** The one-line error `check-config` prints for this policy. */
function refusal(segmentation: Record<string, unknown>): string {
  try {
    parse(segmentation);
  } catch (err: unknown) {
    if (err instanceof OutpostError && err.code === ErrorCode.CONFIG) return err.message;
    throw err;
  }
  throw new Error('the policy was accepted');
}

const withTargets = (...extra: Record<string, unknown>[]) => [...POLICY.targets, ...extra];
const withRules = (...extra: Record<string, unknown>[]) => [...POLICY.rules, ...extra];

describe('segmentation policy: accepted', () => {
  it('normalises the documented example with its defaults', () => {
    const policy = parse(POLICY);
    expect(policy).toMatchObject({ intervalMs: 60_000, portTimeoutMs: 1_000, maxRatePerAgent: 500, concurrency: 64, maxCidrPrefix: 24, watchPorts: [], precedence: undefined });
    expect(policy.targets.map((t) => t.ports)).toEqual([[80, 443], [502], [3389, 5900]]);
    expect(policy.rules.map((r) => [r.index, r.from, r.to, r.action, r.ports])).toEqual([
      [0, 'office', 'dmz-web', 'allow', [80, 443]],
      [1, 'office', 'plant-plc', 'deny', [502]],
      [2, 'dmz', 'plant-plc', 'deny', [502]],
      [3, 'dmz', 'plant-hmi', 'deny', [3389, 5900]],
      [4, 'plant', 'plant-hmi', 'allow', [3389, 5900]],
    ]);
  });

  it('takes targets by single host, by CIDR and by host name', () => {
    const policy = parse({ ...POLICY, targets: withTargets({ name: 'lan', hosts: ['192.0.2.128/25', '192.0.2.7', 'db.example'], ports: 5432 }), max_cidr_prefix: 25 });
    expect(policy.targets.at(-1)).toEqual({ name: 'lan', hosts: ['192.0.2.128/25', '192.0.2.7', 'db.example'], ports: [5432] });
  });

  it('puts agents in segments by name glob and by their segment label', () => {
    const config = parseCollectorConfig(stringify({ agents: [{ match: 'lab-*', labels: { segment: 'plant' } }], segmentation: POLICY }), FILE);
    const policy = config.segmentation!;
    expect(labelsFor(config, 'lab-7')).toEqual({ segment: 'plant' });
    expect(inSegment(policy, 'office', 'office-3', {})).toBe(true);
    expect(inSegment(policy, 'office', 'office', {})).toBe(false);
    expect(inSegment(policy, 'office', 'xoffice-3', {})).toBe(false);
    expect(inSegment(policy, 'plant', 'lab-7', { segment: 'plant' })).toBe(true);
    expect(inSegment(policy, 'dmz', 'lab-7', { segment: 'plant' })).toBe(false);
    expect(inSegment(policy, 'nowhere', 'office-3', { segment: 'nowhere' })).toBe(false);
    expect(generateChecks(policy, 'lab-7', { segment: 'plant' }).map((c) => c.id)).toEqual(['seg:plant:plant-hmi']);
  });

  it('reads port lists with ranges, lists and numbers, sorted and without duplicates', () => {
    expect(parsePorts('443, 80,8000-8002,80')).toEqual([80, 443, 8000, 8001, 8002]);
    expect(parsePorts(['22', 23, '1-2'])).toEqual([1, 2, 22, 23]);
    expect(parsePorts(65_535)).toEqual([65_535]);
    expect(parsePorts('65534-65535')).toEqual([65_534, 65_535]);
    expect(parsePorts('7-7')).toEqual([7]);
    expect(parsePorts('')).toEqual([]);
    expect(parsePorts('1-4096')).toHaveLength(4_096);
  });

  it('counts a port listed twice once against the 4096-port limit', () => {
    expect(parsePorts('1-4096,1,4096')).toHaveLength(4_096);
    expect(parsePorts('1-4000,3000-4096')).toHaveLength(4_096);
    expect(parsePorts('1-4096,4097')).toBe('expected at most 4096 ports, got more');
  });

  it('refuses ports outside 1-65535 and reversed ranges with the part that is wrong', () => {
    expect(parsePorts('0')).toBe('expected ports such as "22,80,8000-8100" in 1-65535, got "0"');
    expect(parsePorts('65536')).toBe('expected ports such as "22,80,8000-8100" in 1-65535, got "65536"');
    expect(parsePorts('80,90-89')).toBe('expected ports such as "22,80,8000-8100" in 1-65535, got "90-89"');
    expect(parsePorts('80,http')).toBe('expected ports such as "22,80,8000-8100" in 1-65535, got "http"');
    expect(parsePorts('65535-65536')).toBe('expected ports such as "22,80,8000-8100" in 1-65535, got "65535-65536"');
  });

  it('reads IPv4 CIDRs as inclusive ranges, host bits cleared', () => {
    expect(ipv4Range('192.0.2.10')).toEqual({ first: 3_221_225_994, last: 3_221_225_994, prefix: 32 });
    expect(ipv4Range('192.0.2.77/28')).toEqual({ first: 3_221_226_048, last: 3_221_226_063, prefix: 28 });
    expect(ipv4Range('0.0.0.0/0')).toEqual({ first: 0, last: 2 ** 32 - 1, prefix: 0 });
    expect(ipv4Range('255.255.255.255/32')).toEqual({ first: 2 ** 32 - 1, last: 2 ** 32 - 1, prefix: 32 });
    for (const bad of ['192.0.2.0/33', '192.0.2.0/', '192.0.2.0/x', '2001:db8::/64', 'db.example', '192.0.2.0/24/8']) expect(ipv4Range(bad), bad).toBeUndefined();
  });
});

describe('segmentation policy: refused with the file, the rule path and the reason', () => {
  it('a rule from an unknown segment', () => {
    expect(refusal({ ...POLICY, rules: withRules({ from: 'ofice', to: 'dmz-web', action: 'deny' }) })).toBe(
      `${FILE}: segmentation.rules[5].from: unknown segment "ofice" (segments: office, dmz, plant)`,
    );
  });

  it('a rule to an unknown target', () => {
    expect(refusal({ ...POLICY, rules: withRules({ from: 'office', to: 'dmz-db', action: 'deny' }) })).toBe(
      `${FILE}: segmentation.rules[5].to: unknown target "dmz-db" (targets: dmz-web, plant-plc, plant-hmi)`,
    );
  });

  it('a CIDR wider than max_cidr_prefix, naming the rules that use it', () => {
    const targets = POLICY.targets.map((t) => (t.name === 'plant-plc' ? { ...t, hosts: ['192.0.2.0/16'] } : t));
    expect(refusal({ ...POLICY, targets })).toBe(
      `${FILE}: segmentation.targets[1].hosts[0]: 192.0.2.0/16 is wider than the maximum /24 (segmentation.max_cidr_prefix) (used by rules[1], rules[2])`,
    );
  });

  it('a CIDR exactly at max_cidr_prefix is accepted, one bit wider is not', () => {
    const at = (prefix: number) => ({ ...POLICY, max_cidr_prefix: 28, targets: withTargets({ name: 'net', hosts: [`192.0.2.0/${prefix}`], ports: 22 }) });
    expect(parse(at(28)).targets.at(-1)!.hosts).toEqual(['192.0.2.0/28']);
    expect(refusal(at(27))).toBe(`${FILE}: segmentation.targets[3].hosts[0]: 192.0.2.0/27 is wider than the maximum /28 (segmentation.max_cidr_prefix)`);
  });

  it('a host with a slash that is no IPv4 CIDR', () => {
    for (const host of ['192.0.2.0/40', '192.0.2.0/24/8', 'db.example/24']) {
      expect(refusal({ ...POLICY, targets: withTargets({ name: 'odd', hosts: [host], ports: 22 }) })).toBe(
        `${FILE}: segmentation.targets[3].hosts[0]: expected an IPv4 address or CIDR, got "${host}"`,
      );
    }
  });

  it('allow and deny from one segment on the same host and port without a precedence', () => {
    const policy = { ...POLICY, targets: withTargets({ name: 'dmz-all', hosts: ['192.0.2.0/28'], ports: '443,8443' }), rules: [...POLICY.rules.slice(0, 4), { from: 'office', to: 'dmz-all', action: 'deny' }] };
    expect(refusal(policy)).toBe(
      `${FILE}: segmentation.rules[4]: overlaps rules[0] (allow office -> dmz-web) on 192.0.2.10 / 192.0.2.0/28 port 443 with deny, and no precedence is stated (segmentation.precedence: allow | deny)`,
    );
  });

  it('an overlap on one IPv6 address written two ways', () => {
    const policy = { ...POLICY, targets: withTargets({ name: 'v6a', hosts: ['2001:db8::10'], ports: 443 }, { name: 'v6b', hosts: ['2001:DB8:0:0::10'], ports: '443,8443' }), rules: withRules({ from: 'dmz', to: 'v6a', action: 'allow' }, { from: 'dmz', to: 'v6b', action: 'deny' }) };
    expect(refusal(policy)).toBe(
      `${FILE}: segmentation.rules[6]: overlaps rules[5] (allow dmz -> v6a) on 2001:db8::10 / 2001:DB8:0:0::10 port 443 with deny, and no precedence is stated (segmentation.precedence: allow | deny)`,
    );
  });

  it('no overlap when the hosts, the ports or the source segment differ', () => {
    const other = (target: Record<string, unknown>, from = 'office') => ({ ...POLICY, targets: withTargets({ name: 'other', ...target }), rules: withRules({ from, to: 'other', action: 'deny' }) });
    expect(parse(other({ hosts: ['192.0.2.11'], ports: 443 })).rules).toHaveLength(6);
    expect(parse(other({ hosts: ['192.0.2.0/28'], ports: 22 })).rules).toHaveLength(6);
    expect(parse(other({ hosts: ['192.0.2.0/28'], ports: 443 }, 'dmz')).rules).toHaveLength(6);
    // 192.0.2.16/28 starts one past 192.0.2.15: adjacent, not overlapping.
    expect(parse({ ...other({ hosts: ['192.0.2.16/28'], ports: 443 }), targets: [{ name: 'dmz-web', hosts: ['192.0.2.15'], ports: 443 }, ...POLICY.targets.slice(1), { name: 'other', hosts: ['192.0.2.16/28'], ports: 443 }] }).rules).toHaveLength(6);
  });

  it('the same overlap is accepted once a precedence is stated', () => {
    const policy = { ...POLICY, precedence: 'deny', targets: withTargets({ name: 'dmz-all', hosts: ['192.0.2.0/28'], ports: '443' }), rules: withRules({ from: 'office', to: 'dmz-all', action: 'deny' }) };
    expect(parse(policy).precedence).toBe('deny');
  });

  it('a second rule for the same segment and target', () => {
    expect(refusal({ ...POLICY, rules: withRules({ from: 'dmz', to: 'plant-plc', action: 'allow' }) })).toBe(
      `${FILE}: segmentation.rules[5]: rules[2] already judges dmz -> plant-plc; one rule per segment and target`,
    );
  });

  it('duplicate segment and target names', () => {
    expect(refusal({ ...POLICY, segments: [...POLICY.segments, { name: 'dmz', agents: ['x-*'] }] })).toBe(
      `${FILE}: segmentation.segments[3].name: expected a unique name, "dmz" is used more than once`,
    );
    expect(refusal({ ...POLICY, targets: withTargets({ name: 'dmz-web', hosts: ['192.0.2.11'], ports: 80 }) })).toBe(
      `${FILE}: segmentation.targets[3].name: expected a unique name, "dmz-web" is used more than once`,
    );
  });

  it('bad port lists, naming the key', () => {
    const ports = (value: unknown) => refusal({ ...POLICY, targets: [{ ...POLICY.targets[0], ports: value }, ...POLICY.targets.slice(1)] });
    expect(ports('0,80')).toBe(`${FILE}: segmentation.targets[0].ports: expected ports such as "22,80,8000-8100" in 1-65535, got "0"`);
    expect(ports('80-70000')).toBe(`${FILE}: segmentation.targets[0].ports: expected ports such as "22,80,8000-8100" in 1-65535, got "80-70000"`);
    expect(ports('')).toBe(`${FILE}: segmentation.targets[0].ports: expected at least one port`);
    expect(refusal({ ...POLICY, watch_ports: '22,99999' })).toBe(`${FILE}: segmentation.watch_ports: expected ports such as "22,80,8000-8100" in 1-65535, got "99999"`);
  });

  it('names that could not be part of a check id', () => {
    expect(refusal({ ...POLICY, segments: [{ name: 'off:ice', agents: [] }, ...POLICY.segments.slice(1)] })).toBe(
      `${FILE}: segmentation.segments[0].name: expected 1-64 characters: letters, digits and . _ -`,
    );
  });
});
