import { EventEmitter } from 'node:events';
import type { Socket } from 'node:net';
import { describe, expect, it } from 'vitest';
import { ConnectionGate } from './connection-gate.js';
import { Counters } from './counters.js';

/** A stand-in for an accepted socket: the gate only reads its address and destroys it. */
class FakeSocket extends EventEmitter {
  destroyed = false;
  constructor(readonly remoteAddress: string, readonly remotePort: number) {
    super();
  }
  destroy(): void {
    this.destroyed = true;
    this.emit('close');
  }
}

function gate(overrides: Partial<ConstructorParameters<typeof ConnectionGate>[0]> = {}) {
  const counters = new Counters();
  let now = 0;
  const g = new ConnectionGate({
    maxUnauthenticated: 100, maxUnauthenticatedPerAddress: 3, deadlineMs: 60_000,
    maxConnectsPerSecondPerAddress: 10, connectBurstPerAddress: 5, counters, now: () => now, ...overrides,
  });
  return { g, counters, advance: (ms: number) => (now += ms) };
}

describe('ConnectionGate', () => {
  it('caps unauthenticated connections per address and frees a slot on admission or close', () => {
    const { g, counters } = gate();
    const sockets = [1, 2, 3, 4].map((port) => new FakeSocket('192.0.2.7', port));
    sockets.forEach((s) => g.accept(s as unknown as Socket));
    expect(sockets.map((s) => s.destroyed)).toEqual([false, false, false, true]);
    expect(counters.get('rejected.unauthenticated_limit')).toBe(1);
    g.admitted(sockets[0] as unknown as Socket);
    sockets[1]!.destroy();
    const later = new FakeSocket('192.0.2.7', 5);
    g.accept(later as unknown as Socket);
    expect(later.destroyed).toBe(false);
    expect(g.unauthenticated).toBe(2);
  });

  it('limits the rate of new connections per address, refilling over time', () => {
    const { g, counters, advance } = gate({ maxUnauthenticatedPerAddress: 1_000 });
    const open = (port: number) => {
      const s = new FakeSocket('192.0.2.8', port);
      g.accept(s as unknown as Socket);
      return !s.destroyed;
    };
    const burst = Array.from({ length: 8 }, (_, i) => open(i));
    expect(burst.filter(Boolean)).toHaveLength(5);
    expect(counters.get('rejected.rate_limit')).toBe(3);
    advance(300); // 10/s refills 3 tokens
    expect([open(100), open(101), open(102), open(103)]).toEqual([true, true, true, false]);
    // Another address has its own bucket.
    const other = new FakeSocket('192.0.2.9', 1);
    g.accept(other as unknown as Socket);
    expect(other.destroyed).toBe(false);
  });
});
