#!/usr/bin/env node
import { existsSync, statSync } from 'node:fs';
import { setFlagsFromString } from 'node:v8';

// The long-running agent (`run`, `relay`) sets V8 flags before its modules load: each is
// read when V8 compiles or collects, so setting it here takes full effect without
// restarting node under other options (no second process, no signal forwarding).
// OUTPOST_AGENT_V8_FLAGS picks a preset by name or gives the flags themselves (empty:
// Node's defaults). Measured with 1000 checks on a 2-core machine (bench/README.md):
// - auto (the default): no optimising or baseline compiler, heap code dropped after one
//   idle collection; the agent turns the compilers on as soon as its config or its backlog
//   asks for more than a few checks a second (src/v8-profile.ts) and until then gives the
//   heap's free pages back after each burst of work: ~60 MB RSS with 1000 checks a minute.
// - full: young generation kept at 2 x 1 MiB instead of growing to 2 x 16 MiB, heap grown
//   in small steps, both compilers: ~77 MB RSS, full check throughput (13k connect checks/s).
// - lean: as auto, with regexps interpreted too, never compiled: about a quarter of the
//   check throughput. (auto leaves regexps to V8: switching --regexp-interpret-all off in a
//   running process crashed it, where switching the compilers on did not.)
const SMALL_HEAP = '--semi-space-growth-factor=1 --optimize-for-size';
const AUTO = `${SMALL_HEAP} --no-opt --no-sparkplug --bytecode-old-age=1`;
const PRESETS = {
  auto: AUTO,
  full: SMALL_HEAP,
  lean: `${AUTO} --regexp-interpret-all`,
  // `full` under the name it had before `auto` came.
  default: SMALL_HEAP,
};
const command = process.argv[2];
const longRunning = command === 'run' || command === 'relay';
if (longRunning) {
  const setting = process.env['OUTPOST_AGENT_V8_FLAGS'] ?? 'auto';
  const flags = Object.hasOwn(PRESETS, setting) ? PRESETS[setting] : setting;
  for (const flag of flags.split(/\s+/).filter(Boolean)) setFlagsFromString(flag);
  // The agent reads the preset it runs under from here (src/v8-profile.ts).
  process.env['OUTPOST_AGENT_V8_FLAGS'] = setting;
}

/**
 * The one-file build (scripts/build-agent-bundle.mjs) when it is there and not older than
 * the compiled agent: V8 keeps the source text of every loaded module, and one minified
 * file holds far less than the ~250 modules behind dist/cli.js (bench/README.md,
 * footprint). A bundle older than the last `tsc -b` of the agent or protocol would run
 * stale code, so dist/ runs then. OUTPOST_AGENT_BUNDLE=0 runs dist/ always.
 */
function bundleUrl() {
  const bundle = new URL('../dist/bundle/outpost-agent.mjs', import.meta.url);
  if (process.env['OUTPOST_AGENT_BUNDLE'] === '0' || !existsSync(bundle)) return undefined;
  const builtAt = statSync(bundle).mtimeMs;
  // Beside the agent's own package in the repository and in the offline tarball alike;
  // the tarball ships no .tsbuildinfo, its bundle is always current.
  for (const info of ['../dist/.tsbuildinfo', '../../protocol/dist/.tsbuildinfo']) {
    const file = new URL(info, import.meta.url);
    if (existsSync(file) && statSync(file).mtimeMs > builtAt) {
      // Said by the long-running commands only: the others' output stays as scripts expect it.
      if (longRunning) process.stderr.write(`outpost-agent: ${bundle.pathname} is older than the compiled agent; running dist/cli.js (npm run build makes a new one)\n`);
      return undefined;
    }
  }
  return bundle.href;
}

// Loaded after the flags, so the agent's own code is compiled under them.
const { main } = await import(bundleUrl() ?? '../dist/cli.js');
main().catch((err) => {
  process.stderr.write(`outpost-agent: ${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
