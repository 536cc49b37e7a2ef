#!/usr/bin/env node
import { setFlagsFromString } from 'node:v8';

// The long-running agent (`run`, `relay`) sets V8 flags before its modules load: each is
// read when V8 compiles or collects, so setting it here takes full effect without
// restarting node under other options (no second process, no signal forwarding).
// OUTPOST_AGENT_V8_FLAGS picks a preset by name or gives the flags themselves (empty:
// Node's defaults). Measured with 1000 checks on a 2-core machine (bench/README.md):
// - default: young generation kept at 2 x 1 MiB instead of growing to 2 x 16 MiB, heap
//   grown in small steps; ~87 MB RSS, full check throughput (13k connect checks/s).
// - lean: also no optimising or baseline compiler and interpreted regexps; ~71 MB RSS, but
//   about a quarter of the check throughput: for small boxes running a few checks a second.
const PRESETS = {
  default: '--semi-space-growth-factor=1 --optimize-for-size',
  lean: '--semi-space-growth-factor=1 --optimize-for-size --no-opt --no-sparkplug --regexp-interpret-all',
};
const command = process.argv[2];
if (command === 'run' || command === 'relay') {
  const setting = process.env['OUTPOST_AGENT_V8_FLAGS'] ?? 'default';
  const flags = Object.hasOwn(PRESETS, setting) ? PRESETS[setting] : setting;
  for (const flag of flags.split(/\s+/).filter(Boolean)) setFlagsFromString(flag);
}

// Loaded after the flags, so the agent's own code is compiled under them.
const { main } = await import('../dist/cli.js');
main().catch((err) => {
  process.stderr.write(`outpost-agent: ${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
