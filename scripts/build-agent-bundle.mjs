#!/usr/bin/env node
// The agent as one ES module built from the compiled packages/agent/dist:
// packages/agent/dist/bundle/outpost-agent.mjs, which bin/outpost-agent.js loads when it
// exists (dist/cli.js otherwise). V8 keeps the source text and the module records of every
// loaded module for the process's lifetime; one file without comments and indentation holds
// much less than the ~250 readable modules of dist/ and node_modules (DESIGN §7: the agent's
// RSS; bench/README.md, footprint). The agent imports zod as a namespace (`import * as z`),
// so esbuild keeps only the schema kinds it uses: 97 KB instead of 450 KB with zod's ~50
// message locales.
//
//   node scripts/build-agent-bundle.mjs                      after tsc -b packages/agent
//   node scripts/build-agent-bundle.mjs --minify none|syntax for measurements
//   node scripts/build-agent-bundle.mjs --metafile meta.json what went in, byte by byte

import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { build } from 'esbuild';

const ROOT = resolve(import.meta.dirname, '..');
const AGENT = join(ROOT, 'packages/agent');
const DIST = join(AGENT, 'dist');
const ENTRY = join(DIST, 'cli.js');
export const BUNDLE_FILE = join(DIST, 'bundle/outpost-agent.mjs');

// Loaded from node_modules at run time, not inlined: native modules (a .node binary cannot
// be inlined), packages required by a computed path (pino-pretty, net-snmp), and packages
// only a rare command loads by a dynamic import (yargs: every command but a plain `run`;
// x509: the relay's first start). Their text then stays out of the agent's heap until they
// are needed. (A static import of an external package is hoisted to the top of the bundle
// and loads with it, so what only a lazily imported module imports statically, such as
// dns-packet, is inlined instead: esbuild runs it when its importer first loads.)
const EXTERNAL = ['better-sqlite3', 'bufferutil', 'utf-8-validate', 'pino-pretty', 'net-snmp', 'yargs', '@peculiar/x509', 'reflect-metadata'];
// Own modules loaded from dist/ on demand: the port scanner starts worker threads on its
// own file, which must be that module and nothing else. Only dynamic imports may name them
// (see EXTERNAL); `checkBundle` below fails the build otherwise.
const FROM_DIST = new Set([join(DIST, 'checks/port-scanner.js')]);
// The only outside modules the bundle may load as it starts (besides Node's own).
const LOADED_AT_START = new Set(['better-sqlite3']);

// Measured on the idle agent's modules under the lean flags (bench/README.md): readable
// 58.7 MB RSS, whitespace and syntax 56.8 MB, also identifiers 56.4 MB (its one big
// top-level scope peaks at 4.3 MB of parser memory instead of 1.9, but the heap is smaller).
const MINIFY = {
  none: {},
  syntax: { minifyWhitespace: true, minifySyntax: true },
  full: { minifyWhitespace: true, minifySyntax: true, minifyIdentifiers: true },
};

/** dist/version.js reads ../package.json beside itself, which dist/bundle/ does not have. */
const inlineVersion = {
  name: 'outpost-inline-version',
  setup(b) {
    const { version } = JSON.parse(readFileSync(join(AGENT, 'package.json'), 'utf8'));
    b.onLoad({ filter: /[\\/]version\.js$/ }, (file) => {
      if (file.path !== join(DIST, 'version.js')) return undefined;
      return { contents: `export const VERSION = ${JSON.stringify(version)};\nexport const SOFTWARE = \`outpost-agent/\${VERSION}\`;\n`, loader: 'js' };
    });
  },
};

const loadFromDist = {
  name: 'outpost-load-from-dist',
  setup(b) {
    b.onResolve({ filter: /^\.\.?\// }, (ref) => {
      const target = resolve(ref.resolveDir, ref.path);
      if (!FROM_DIST.has(target)) return undefined;
      return { path: `./${relative(dirname(BUNDLE_FILE), target)}`, external: true };
    });
  },
};

/** Build the bundle from dist/; returns esbuild's metafile. */
export async function buildAgentBundle({ minify = 'full' } = {}) {
  if (!existsSync(ENTRY)) throw new Error(`${relative(ROOT, ENTRY)} is missing: build the agent first (tsc -b packages/agent)`);
  if (!Object.hasOwn(MINIFY, minify)) throw new Error(`--minify ${minify}: expected ${Object.keys(MINIFY).join(', ')}`);
  const result = await build({
    entryPoints: [ENTRY],
    outfile: BUNDLE_FILE,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    ...MINIFY[minify],
    legalComments: 'none',
    external: EXTERNAL,
    plugins: [inlineVersion, loadFromDist],
    // CommonJS dependencies (ws, pino, protobufjs) call require for Node's modules and the
    // external ones; an ES module has no require of its own.
    banner: { js: "import { createRequire as __outpostCreateRequire } from 'node:module'; const require = __outpostCreateRequire(import.meta.url);" },
    metafile: true,
    logLevel: 'warning',
  });
  checkBundle(result.metafile);
  return result.metafile;
}

/** Every outside module the bundle imports at its top is one `run` needs anyway. */
function checkBundle(metafile) {
  const [output] = Object.values(metafile.outputs);
  const eager = output.imports.filter((ref) => ref.external && ref.kind === 'import-statement' && !ref.path.startsWith('node:') && !LOADED_AT_START.has(ref.path));
  if (eager.length > 0) {
    throw new Error(`the bundle would load ${eager.map((ref) => ref.path).join(', ')} as it starts: import ${eager.length === 1 ? 'it' : 'them'} with import() where used, or inline ${eager.length === 1 ? 'it' : 'them'}`);
  }
}

if (process.argv[1] === import.meta.filename) {
  const { values: args } = parseArgs({ options: { minify: { type: 'string', default: 'full' }, metafile: { type: 'string' } } });
  try {
    const metafile = await buildAgentBundle({ minify: args.minify });
    if (args.metafile) writeFileSync(args.metafile, JSON.stringify(metafile));
    const bytes = metafile.outputs[relative(process.cwd(), BUNDLE_FILE)]?.bytes ?? Object.values(metafile.outputs)[0].bytes;
    process.stderr.write(`build-agent-bundle: wrote ${relative(ROOT, BUNDLE_FILE)} (${(bytes / 1e6).toFixed(2)} MB, minify ${args.minify})\n`);
  } catch (err) {
    process.stderr.write(`build-agent-bundle: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  }
}
