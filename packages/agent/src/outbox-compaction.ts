import type { GapInit } from '@outpost/protocol';

/** What the compaction needs to know of one unsent row. */
export interface CompactionRow {
  resultId: number;
  checkId: string;
  status: number;
  startedAtMs: number;
  bytes: number;
}

export interface OutboxBudget {
  maxBytes: number;
  maxAgeMs: number;
}

export interface CompactionPlan {
  dropIds: number[];
  droppedBytes: number;
  /** The gap record that tells the collector what went; undefined when nothing does. */
  gap: GapInit | undefined;
}

/**
 * Decide which rows to drop when the outbox is over its budget. Only repeats can go: in
 * each check's run of equal status the first and the last result stay, so every state
 * change (and the newest state) survives. Repeats older than `maxAgeMs` go first, then the
 * oldest repeats until the bytes fit; ids in `protect` (in flight) never go. `rows` must be
 * in result id order.
 *
 * @example
 * const plan = planCompaction(rows, totalBytes, { maxBytes: 1 << 30, maxAgeMs: 30 * 86_400_000 }, Date.now(), 'cap');
 */
export function planCompaction(
  rows: readonly CompactionRow[],
  totalBytes: number,
  budget: OutboxBudget,
  nowMs: number,
  reason: string,
  protect: ReadonlySet<number> = new Set(),
): CompactionPlan {
  const overBytes = totalBytes - budget.maxBytes;
  const cutoff = nowMs - budget.maxAgeMs;
  if (overBytes <= 0 && (rows.length === 0 || rows[0]!.startedAtMs >= cutoff)) return { dropIds: [], droppedBytes: 0, gap: undefined };

  // A row is a repeat when the previous and the next row of its check have its status.
  const byCheck = new Map<string, CompactionRow[]>();
  for (const row of rows) {
    const list = byCheck.get(row.checkId);
    if (list) list.push(row);
    else byCheck.set(row.checkId, [row]);
  }
  const repeats: CompactionRow[] = [];
  for (const list of byCheck.values()) {
    for (let i = 1; i < list.length - 1; i++) {
      const row = list[i]!;
      if (!protect.has(row.resultId) && list[i - 1]!.status === row.status && list[i + 1]!.status === row.status) repeats.push(row);
    }
  }
  repeats.sort((a, b) => a.resultId - b.resultId);

  const drop: CompactionRow[] = [];
  let freed = 0;
  for (const row of repeats) {
    const tooOld = row.startedAtMs < cutoff;
    if (!tooOld && freed >= overBytes) continue;
    drop.push(row);
    freed += row.bytes;
  }
  if (drop.length === 0) return { dropIds: [], droppedBytes: 0, gap: undefined };

  const perCheck: Record<string, number> = {};
  for (const row of drop) perCheck[row.checkId] = (perCheck[row.checkId] ?? 0) + 1;
  let firstMs = Infinity;
  let lastMs = -Infinity;
  for (const row of drop) {
    if (row.startedAtMs < firstMs) firstMs = row.startedAtMs;
    if (row.startedAtMs > lastMs) lastMs = row.startedAtMs;
  }
  return {
    dropIds: drop.map((row) => row.resultId),
    droppedBytes: freed,
    gap: {
      fromResultId: drop[0]!.resultId,
      toResultId: drop[drop.length - 1]!.resultId,
      count: drop.length,
      reason,
      firstMs,
      lastMs,
      perCheck,
    },
  };
}

/**
 * Which exported rows to release when the outbox is over its budget. They are on media
 * already, so they go before anything that exists only here, and without a gap record:
 * oldest first while the bytes are over `maxBytes`, and every one older than `maxAgeMs`.
 * Ids in `protect` (in flight on a live link) stay. `rows` must be in result id order.
 */
export function planExportedRelease(
  rows: readonly { id: number; startedAtMs: number; bytes: number }[],
  totalBytes: number,
  budget: OutboxBudget,
  nowMs: number,
  protect: ReadonlySet<number> = new Set(),
): { drop: { id: number }[]; bytesAfter: number } {
  const cutoff = nowMs - budget.maxAgeMs;
  let bytes = totalBytes;
  const drop = rows.filter((row) => {
    if (protect.has(row.id) || (bytes <= budget.maxBytes && row.startedAtMs >= cutoff)) return false;
    bytes -= row.bytes;
    return true;
  });
  return { drop, bytesAfter: bytes };
}
