#!/usr/bin/env node
import { setFlagsFromString } from 'node:v8';

// The long-running agent (`run`, `relay run`) trades some CPU for a small resident set
// (DESIGN §7: ≤ 60 MB with 1000 checks; bench/footprint.ts). Each flag below is one V8
// reads when it compiles or collects, so setting it here, before the agent's modules load,
// takes full effect without restarting node under other options (no second process, no
// signal forwarding):
// - semi-space-growth-factor=1: the young generation stays at its initial 2 × 1 MiB instead
//   of growing to 2 × 16 MiB after the start-up burst (same as --max-semi-space-size=1).
// - no-opt, no-sparkplug: no optimising or baseline compiler; their code, compile zones and
//   the pages of node's binary they live in stay untouched. The agent is I/O-bound.
// - regexp-interpret-all: regular expressions are interpreted, not compiled to machine code.
// - optimize-for-size: V8 grows the heap in smaller steps and gives memory back sooner.
// OUTPOST_AGENT_V8_FLAGS replaces the list (empty: none), e.g. to measure without them.
const LEAN_V8_FLAGS = '--semi-space-growth-factor=1 --no-opt --no-sparkplug --regexp-interpret-all --optimize-for-size';
const command = process.argv[2];
if (command === 'run' || command === 'relay') {
  const flags = process.env['OUTPOST_AGENT_V8_FLAGS'] ?? LEAN_V8_FLAGS;
  for (const flag of flags.split(/\s+/).filter(Boolean)) setFlagsFromString(flag);
}

// Loaded after the flags, so the agent's own code is compiled under them.
const { main } = await import('../dist/cli.js');
main().catch((err) => {
  process.stderr.write(`outpost-agent: ${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
