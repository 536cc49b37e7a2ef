import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, release } from 'node:os';
import { join, resolve } from 'node:path';

/** One line of a benchmark table: Outpost beside the reference tool, same run, same machine. */
export interface BenchRow {
  scenario: string;
  /** Unit of `outpost` and `peer`, e.g. `s` or `checks/s`. */
  unit: string;
  outpost: number;
  /** The reference tool's figure; undefined when it has no comparable row. */
  peer: number | undefined;
  peerTool: string;
  /** What the ratio means for this unit: lower-is-better for seconds, higher for rates. */
  better: 'lower' | 'higher';
  /** The DESIGN §7 target, as written there (e.g. `≤ 1.0× nmap -sT`). */
  target: string;
  /** Whether the target was met; undefined when the row is informational. */
  met: boolean | undefined;
  /** Settings a reader needs to reproduce the row (concurrency, timeouts, counts). */
  settings: string;
}

/** outpost / peer, the ratio DESIGN §7 states targets in. */
export function ratio(row: Pick<BenchRow, 'outpost' | 'peer'>): number | undefined {
  return row.peer === undefined || row.peer === 0 ? undefined : row.outpost / row.peer;
}

function figure(value: number | undefined, unit: string): string {
  if (value === undefined) return '-';
  if (unit === 's') return `${value.toFixed(3)} s`;
  return `${value >= 100 ? Math.round(value).toLocaleString('en-US') : value.toFixed(1)} ${unit}`;
}

/** The rows as an aligned plain-text table (also valid Markdown). */
export function formatTable(rows: readonly BenchRow[]): string {
  const header = ['scenario', 'outpost', 'reference', 'ratio', 'target (DESIGN §7)', 'met', 'settings'];
  const body = rows.map((row) => {
    const r = ratio(row);
    return [
      row.scenario,
      figure(row.outpost, row.unit),
      row.peer === undefined ? '-' : `${figure(row.peer, row.unit)} (${row.peerTool})`,
      r === undefined ? '-' : `${r.toFixed(r < 0.1 ? 3 : 2)}×`,
      row.target,
      row.met === undefined ? '' : row.met ? 'yes' : 'NO',
      row.settings,
    ];
  });
  const widths = header.map((_, i) => Math.max(header[i]!.length, ...body.map((line) => line[i]!.length)));
  const line = (cells: string[]) => `| ${cells.map((cell, i) => cell.padEnd(widths[i]!)).join(' | ')} |`;
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...body.map(line)].join('\n');
}

export interface ResultsFile {
  name: string;
  rows: readonly BenchRow[];
  /** Anything else worth keeping: raw samples, open sets, options. */
  details: Record<string, unknown>;
}

/**
 * Write `bench/results/<name>-<date>.json` (or into `dir`) with the rows, details and the
 * machine they were measured on; returns the path.
 *
 * @example
 * const path = writeResults({ name: 'scan', rows, details: { openPorts } });
 */
export function writeResults(results: ResultsFile, dir = resolve(import.meta.dirname, '../results')): string {
  mkdirSync(dir, { recursive: true });
  const now = new Date();
  const stamp = now.toISOString().replace(/[:.]/g, '-');
  const path = join(dir, `${results.name}-${stamp}.json`);
  const machine = { node: process.version, kernel: release(), cpus: cpus().length, cpuModel: cpus()[0]?.model ?? 'unknown' };
  const rows = results.rows.map((row) => ({ ...row, ratio: ratio(row) }));
  writeFileSync(path, `${JSON.stringify({ name: results.name, measuredAt: now.toISOString(), machine, rows, details: results.details }, null, 2)}\n`);
  return path;
}
