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
import { pathToFileURL } from 'node:url';
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
// The only outside modules the bundle may import as it starts (besides Node's own): none,
// better-sqlite3 comes through require (requireBuiltins below).
const LOADED_AT_START = new Set([]);

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

/**
 * Node's modules, and better-sqlite3, loaded with require instead of import. An import of
 * a builtin makes Node build an ES module facade over it, and the facade reads every
 * export, lazy getters included: `tls.rootCertificates` (~140 CA certificates as strings
 * in the heap), `crypto.webcrypto` and `subtle` (a dozen more builtins). An import of a
 * CommonJS package runs Node's export lexer over its source. require reads only what is
 * used; esbuild wraps the result as it does for any CommonJS module. (-0.3 MB RSS, idle agent.)
 */
const requireBuiltins = {
  name: 'outpost-require-builtins',
  setup(b) {
    b.onResolve({ filter: /^(node:.*|better-sqlite3)$/ }, (ref) => {
      if (ref.kind !== 'import-statement' && ref.kind !== 'dynamic-import') return undefined;
      return { path: ref.path, namespace: 'outpost-require' };
    });
    b.onLoad({ filter: /.*/, namespace: 'outpost-require' }, (file) => ({ contents: `module.exports = require(${JSON.stringify(file.path)});`, loader: 'js' }));
  },
};

/**
 * long (protobufjs's 64-bit integers) compiles a small WebAssembly module as it loads, for
 * faster 64-bit multiply and divide. That brings in V8's wasm decoder and code space: 0.6-0.8
 * MB of RSS for arithmetic the agent does a few times per batch. Within long's module,
 * `WebAssembly` is undefined, so it takes its own JavaScript path, as where wasm is missing.
 */
const longWithoutWasm = {
  name: 'outpost-long-without-wasm',
  setup(b) {
    b.onLoad({ filter: /[\\/]node_modules[\\/]long[\\/].*\.js$/ }, (file) => {
      const text = readFileSync(file.path, 'utf8');
      if (!text.includes('new WebAssembly.Instance(')) return undefined;
      return { contents: `var WebAssembly = undefined;\n${text}`, loader: 'js' };
    });
  },
};

const CHECK_INDEX = join(DIST, 'checks/index.js');

/**
 * In the bundle, a check type's module runs when the agent first uses that type: its config
 * schema (zod objects), constants and functions are made then, not at start. An agent with
 * only TCP checks does not hold the other seven types (~0.6 MB of RSS). dist/checks/index.js
 * imports every type and lists them in CHECK_TYPES; here it becomes the same map, in the
 * same order, of stand-ins with the same members that load the real type on first access
 * (a `require` of a bundled module: esbuild runs that module's code on the first call).
 * Which export of which module is which type is read from dist/ itself, so a new type
 * needs no change here; anything that does not fit fails the build.
 */
const checkTypesOnFirstUse = {
  name: 'outpost-check-types-on-first-use',
  setup(b) {
    b.onLoad({ filter: /[\\/]checks[\\/]index\.js$/ }, async (file) => {
      if (file.path !== CHECK_INDEX) return undefined;
      const text = readFileSync(file.path, 'utf8');
      const imports = [...text.matchAll(/^import \{ (\w+) \} from '(\.\/[\w-]+\.js)';\n/gm)];
      const { CHECK_TYPES } = await import(pathToFileURL(file.path).href);
      const sources = new Map();
      for (const [, name, path] of imports) {
        const module = await import(pathToFileURL(join(dirname(file.path), path)).href);
        sources.set(module[name], { name, path });
      }
      const entries = [...CHECK_TYPES].map(([type, check]) => {
        const source = sources.get(check);
        if (source === undefined) throw new Error(`${relative(ROOT, file.path)}: check type ${type} is not a named import of its own`);
        const members = Object.keys(check).filter((key) => key !== 'type');
        return `[${JSON.stringify(type)}, onFirstUse(${JSON.stringify(type)}, () => require(${JSON.stringify(source.path)}).${source.name}, ${JSON.stringify(members)})]`;
      });
      // Each import line goes from the text below: one that is not a check type's would leave
      // its name undefined in the bundle (esbuild takes it for a global), so refuse it here.
      const used = new Set([...CHECK_TYPES.values()].map((check) => sources.get(check)?.name));
      const stray = imports.filter(([, name]) => !used.has(name)).map(([, name]) => name);
      if (stray.length > 0) throw new Error(`${relative(ROOT, file.path)}: imports ${stray.join(', ')}, not a check type; import it with another form or teach this plugin`);
      const declaration = /^export const CHECK_TYPES = .*;$/m;
      if (!declaration.test(text)) throw new Error(`${relative(ROOT, file.path)}: expected one line 'export const CHECK_TYPES = ...;'`);
      const onFirstUse = `function onFirstUse(type, load, members) {
  let check;
  const stand = { type };
  for (const key of members) Object.defineProperty(stand, key, { enumerable: true, get: () => (check ??= load())[key] });
  return stand;
}
export const CHECK_TYPES = new Map([${entries.join(', ')}]);`;
      let contents = text;
      for (const [line] of imports) contents = contents.replace(line, '');
      return { contents: contents.replace(declaration, () => onFirstUse), loader: 'js' };
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
    plugins: [inlineVersion, loadFromDist, requireBuiltins, longWithoutWasm, checkTypesOnFirstUse],
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
