// Summarise a V8 .cpuprofile (written by `node --cpu-prof`) as the functions with the most
// self time, so a benchmark can say where a process spent its CPU without a viewer.
import { readFileSync } from 'node:fs';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
}

interface Profile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples?: number[];
  timeDeltas?: number[];
}

export interface HotFunction {
  name: string;
  /** Self time in ms and as a share of the sampled time. */
  selfMs: number;
  share: number;
}

/**
 * The `top` functions by self time; idle and GC appear as `(idle)` and `(garbage collector)`.
 *
 * @example
 * for (const f of hotFunctions('/tmp/prof/CPU.123.cpuprofile', 15)) console.log(f.name, f.selfMs);
 */
export function hotFunctions(path: string, top = 15): HotFunction[] {
  const profile = JSON.parse(readFileSync(path, 'utf8')) as Profile;
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const selfUs = new Map<string, number>();
  const samples = profile.samples ?? [];
  const deltas = profile.timeDeltas ?? [];
  let total = 0;
  for (let i = 0; i < samples.length; i++) {
    const node = byId.get(samples[i]!);
    // A sample's time is the gap to the next one.
    const us = deltas[i + 1] ?? 0;
    if (!node || us <= 0) continue;
    const { functionName, url, lineNumber } = node.callFrame;
    const file = url.replace(/^file:\/\//, '').replace(/^.*\/(node_modules|packages)\//, '$1/');
    const name = file ? `${functionName || '(anonymous)'} ${file}:${lineNumber + 1}` : functionName || '(anonymous)';
    selfUs.set(name, (selfUs.get(name) ?? 0) + us);
    total += us;
  }
  return [...selfUs.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, top)
    .map(([name, us]) => ({ name, selfMs: us / 1000, share: total > 0 ? us / total : 0 }));
}
