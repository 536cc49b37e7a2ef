import { describe, expect, it } from 'vitest';
import { checkIdFor, formatPorts, generateChecks, SEGMENTATION_CHECK_PREFIX } from './segmentation-checks.js';
import { segmentationSchema, type SegmentationPolicy } from './segmentation-policy.js';

const RAW = {
  interval: '30s',
  port_timeout: '500ms',
  max_rate: 500,
  concurrency: 64,
  max_cidr_prefix: 26,
  watch_ports: '22,8080-8082',
  segments: [
    { name: 'office', agents: ['office-*'] },
    { name: 'dmz', agents: ['dmz-*'] },
  ],
  targets: [
    { name: 'dmz-web', hosts: ['192.0.2.10', '192.0.2.11'], ports: '80,443' },
    { name: 'plant', hosts: ['192.0.2.64/26'], ports: '502,20000-20002' },
    { name: 'mail', hosts: ['192.0.2.25'], ports: '25' },
  ],
  rules: [
    { from: 'office', to: 'dmz-web', action: 'allow' },
    { from: 'office', to: 'plant', action: 'deny' },
    { from: 'dmz', to: 'plant', action: 'deny' },
  ],
};

const policyOf = (raw: Record<string, unknown>): SegmentationPolicy => segmentationSchema.parse(raw);
const POLICY = policyOf(RAW);

describe('generateChecks', () => {
  it('gives an agent one exposure check per rule of its segment, with ids seg:<from>:<to>', () => {
    expect(generateChecks(POLICY, 'office-1', {})).toEqual([
      {
        id: 'seg:office:dmz-web',
        type: 'exposure',
        targets: ['192.0.2.10', '192.0.2.11'],
        ports: '22,80,443,8080-8082',
        must_open: '80,443',
        interval: '30000ms',
        timeout: '30000ms',
        port_timeout: '500ms',
        concurrency: 32,
        max_rate: 250,
        max_cidr_prefix: 26,
        grab_banner: true,
      },
      {
        id: 'seg:office:plant',
        type: 'exposure',
        targets: ['192.0.2.64/26'],
        ports: '22,502,8080-8082,20000-20002',
        must_open: '',
        interval: '30000ms',
        timeout: '30000ms',
        port_timeout: '500ms',
        concurrency: 32,
        max_rate: 250,
        max_cidr_prefix: 26,
        grab_banner: true,
      },
    ]);
  });

  it('gives the whole budget to the only check of a one-rule segment', () => {
    expect(generateChecks(POLICY, 'dmz-9', {})).toMatchObject([{ id: 'seg:dmz:plant', must_open: '', max_rate: 500, concurrency: 64 }]);
  });

  it('gives an agent in no segment no checks', () => {
    expect(generateChecks(POLICY, 'plant-1', {})).toEqual([]);
    expect(generateChecks(POLICY, 'plant-1', { segment: 'plant' })).toEqual([]);
  });

  it('adds the checks of every segment an agent is in (glob and label), one budget for all', () => {
    const checks = generateChecks(POLICY, 'office-1', { segment: 'dmz' });
    expect(checks.map((c) => c.id)).toEqual(['seg:office:dmz-web', 'seg:office:plant', 'seg:dmz:plant']);
    expect(checks.map((c) => [c.max_rate, c.concurrency])).toEqual([[166, 21], [166, 21], [166, 21]]);
  });

  it('never lets an agent probe faster than max_rate, however many rules it has', () => {
    for (const maxRate of [1, 2, 2.5, 3, 7, 500]) {
      const checks = generateChecks(policyOf({ ...RAW, max_rate: maxRate }), 'office-1', { segment: 'dmz' });
      const total = checks.reduce((sum, c) => sum + c.max_rate, 0);
      expect(total, `max_rate ${maxRate}`).toBeLessThanOrEqual(maxRate);
      for (const c of checks) expect(c.max_rate, `max_rate ${maxRate}`).toBeGreaterThan(0);
    }
  });

  it('scans only the watch ports beyond the rule ports when there are any, and none when watch_ports is empty', () => {
    const checks = generateChecks(policyOf({ ...RAW, watch_ports: '' }), 'office-1', {});
    expect(checks.map((c) => [c.ports, c.must_open])).toEqual([['80,443', '80,443'], ['502,20000-20002', '']]);
  });

  it('puts only the rule ports, never the watch ports, in must_open', () => {
    const checks = generateChecks(policyOf({ ...RAW, watch_ports: '80,443,9000' }), 'office-1', {});
    expect(checks[0]).toMatchObject({ ports: '80,443,9000', must_open: '80,443' });
  });

  it('produces byte-identical checks from an unchanged policy, so nothing is pushed again', () => {
    const first = JSON.stringify(generateChecks(policyOf(RAW), 'office-1', { segment: 'dmz' }));
    const again = JSON.stringify(generateChecks(policyOf(structuredClone(RAW)), 'office-1', { segment: 'dmz' }));
    expect(again).toBe(first);
    // Written differently, same meaning: same checks.
    const reordered = { ...RAW, watch_ports: '8082,8081,8080,22,22', targets: [{ ...RAW.targets[0]!, ports: '443,80' }, ...RAW.targets.slice(1)] };
    expect(JSON.stringify(generateChecks(policyOf(reordered), 'office-1', { segment: 'dmz' }))).toBe(first);
  });

  it('changes the checks when the policy changes what they scan', () => {
    const before = JSON.stringify(generateChecks(POLICY, 'office-1', {}));
    const after = JSON.stringify(generateChecks(policyOf({ ...RAW, watch_ports: '22' }), 'office-1', {}));
    expect(after).not.toBe(before);
  });
});

describe('check ids and port lists', () => {
  it('names a check by its segment and target under the reserved prefix', () => {
    expect(SEGMENTATION_CHECK_PREFIX).toBe('seg:');
    expect(checkIdFor({ from: 'office', to: 'dmz-web' })).toBe('seg:office:dmz-web');
  });

  it('folds consecutive ports into ranges and leaves single ports alone', () => {
    expect(formatPorts([])).toBe('');
    expect(formatPorts([80])).toBe('80');
    expect(formatPorts([80, 81])).toBe('80-81');
    expect(formatPorts([1, 2, 3, 5, 7, 8, 65_535])).toBe('1-3,5,7-8,65535');
    expect(formatPorts([22, 80, 443])).toBe('22,80,443');
  });
});
