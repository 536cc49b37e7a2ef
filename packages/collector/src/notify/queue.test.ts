import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { alertEvent, TempDatabase } from './notify-test-peers.js';
import { NotificationQueue } from './queue.js';
import type { QueuedPayload } from './types.js';

let temp: TempDatabase;
let queue: NotificationQueue;
beforeEach(() => {
  temp = new TempDatabase();
  queue = new NotificationQueue(temp.open());
});
afterEach(() => {
  temp.remove();
});

function payload(overrides: Partial<QueuedPayload> = {}): QueuedPayload {
  return { ...alertEvent(), rule: 'r', notifier: 'hook', ...overrides };
}

describe('NotificationQueue', () => {
  it('queues payloads due now and hands them out oldest first', () => {
    const ids = queue.enqueue([payload({ id: 7 }), payload({ id: 8, notifier: 'pager' })], 1_000);
    expect(ids).toHaveLength(2);
    expect(queue.due(999, 10)).toEqual([]);
    const due = queue.due(1_000, 10);
    expect(due.map((r) => [r.eventId, r.notifier, r.state, r.attempts, r.check])).toEqual([
      [7, 'hook', 'pending', 0, 'web'],
      [8, 'pager', 'pending', 0, 'web'],
    ]);
    expect(due[0]!.payload).toEqual(payload({ id: 7 }));
    expect(queue.due(1_000, 1)).toHaveLength(1);
    expect(queue.due(1_000, 10, ['hook']).map((r) => r.notifier)).toEqual(['pager']);
    expect(queue.depth()).toEqual({ pending: 2, failed: 0 });
  });

  it('records attempts, retries, sends and failures', () => {
    const [a, b] = queue.enqueue([payload(), payload()], 1_000) as [number, number];
    queue.claim(a, 60_000);
    expect(queue.due(2_000, 10).map((r) => r.id)).toEqual([b]);
    queue.markRetry(a, 5_000, 'HTTP 500');
    expect(queue.nextDueAt()).toBe(1_000);
    queue.markFailed(b, 'exited with 3');
    expect(queue.nextDueAt()).toBe(5_000);
    expect(queue.depth()).toEqual({ pending: 1, failed: 1 });
    queue.markSent(a, 6_000);
    expect(queue.depth()).toEqual({ pending: 0, failed: 1 });
    expect(queue.nextDueAt()).toBeUndefined();
    const [newest, oldest] = queue.list(10);
    expect(newest).toMatchObject({ id: b, state: 'failed', attempts: 1, lastError: 'exited with 3' });
    expect(oldest).toMatchObject({ id: a, state: 'sent', attempts: 2, sentAt: 6_000, lastError: null });
  });

  it('gives a released row back without counting an attempt', () => {
    const [id] = queue.enqueue([payload()], 1_000) as [number];
    queue.claim(id, 60_000);
    queue.release(id, 2_000);
    expect(queue.due(2_000, 10)).toMatchObject([{ id, attempts: 0 }]);
  });

  it('knows when a notification was last issued per rule, agent and check (null check included)', () => {
    queue.enqueue([payload({ check: null, kind: 'agent_silent' })], 1_000);
    queue.enqueue([payload()], 2_000);
    queue.enqueue([payload({ rule: 'other' })], 3_000);
    expect(queue.lastSent('r', 'lab-1', 'web')).toBe(2_000);
    expect(queue.lastSent('r', 'lab-1', null)).toBe(1_000);
    expect(queue.lastSent('other', 'lab-1', 'web')).toBe(3_000);
    expect(queue.lastSent('r', 'lab-2', 'web')).toBeUndefined();
  });

  it('prunes finished rows older than the cut, never pending ones', () => {
    const [sent, failed, pending, recent] = queue.enqueue([payload(), payload(), payload()], 1_000).concat(queue.enqueue([payload()], 9_000)) as [number, number, number, number];
    queue.markSent(sent, 1_500);
    queue.markFailed(failed, 'x');
    queue.markSent(recent, 9_500);
    expect(queue.prune(5_000)).toBe(2);
    expect(queue.list(10).map((r) => r.id)).toEqual([recent, pending]);
  });
});
