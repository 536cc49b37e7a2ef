import { iso } from './api-views.js';
import type { SegmentationMonitor } from './segmentation-monitor.js';
import type { CollectorStore } from './store.js';

/** What the API needs of the monitor. */
export type SegmentationSource = Pick<SegmentationMonitor, 'matrix' | 'policy'>;

/**
 * `GET /api/v1/segmentation`: the policy, and the matrix with rows = source segments,
 * columns = targets; each cell with its colour, since when, and the evidence per agent.
 */
export async function segmentationView(source: SegmentationSource): Promise<unknown> {
  const policy = source.policy;
  if (policy === undefined) return { policy: null, segments: [], targets: [], cells: [] };
  const { verdicts, cells } = await source.matrix();
  const stored = new Map(cells.map((c) => [`${c.from}\u0000${c.to}`, c]));
  const live = new Map(verdicts.map((v) => [`${v.from}\u0000${v.to}`, v]));
  return {
    policy: {
      intervalMs: policy.intervalMs,
      portTimeoutMs: policy.portTimeoutMs,
      maxRatePerAgent: policy.maxRatePerAgent,
      concurrency: policy.concurrency,
      maxCidrPrefix: policy.maxCidrPrefix,
      watchPorts: policy.watchPorts,
      precedence: policy.precedence ?? null,
      segments: policy.segments,
      targets: policy.targets,
      rules: policy.rules.map((r) => ({ from: r.from, to: r.to, action: r.action, ports: r.ports })),
    },
    segments: policy.segments.map((s) => s.name),
    targets: policy.targets.map((t) => t.name),
    cells: policy.rules.map((rule) => {
      const key = `${rule.from}\u0000${rule.to}`;
      const cell = stored.get(key);
      const verdict = live.get(key);
      return {
        from: rule.from,
        to: rule.to,
        action: rule.action,
        ports: rule.ports,
        colour: verdict?.colour ?? cell?.colour ?? 'grey',
        // Set when the cell itself is grey: no agent in the segment, or no ports left to judge.
        reason: verdict?.reason ?? null,
        since: iso(cell?.since ?? null),
        sinceMs: cell?.since ?? null,
        agents: (verdict?.agents ?? []).map((a) => ({ ...a, checkedAt: iso(a.checkedAt), checkedAtMs: a.checkedAt })),
      };
    }),
  };
}

/** `GET /api/v1/segmentation/cells/{from}/{to}/history`: the colours a cell took, newest first. */
export async function cellHistoryView(store: CollectorStore, from: string, to: string, limit: number): Promise<unknown> {
  const rows = await store.segmentationCellHistory(from, to, limit);
  return {
    from,
    to,
    history: rows.map((r) => ({ at: iso(r.at), atMs: r.at, colour: r.colour, evidence: JSON.parse(r.evidence) as unknown })),
  };
}
