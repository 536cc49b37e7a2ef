#!/usr/bin/env node
// Offline agent bundle: one tar.gz with the compiled agent, its production node_modules
// (copied from this checkout's installed tree: no network), a launcher, a sample config
// and a systemd unit. Unpacked on a machine with the same Node major and platform, it
// runs with nothing else installed.
//
//   npm run bundle:agent                 build, then write dist/outpost-agent-<v>-<os>-<arch>.tar.gz
//   node scripts/bundle-agent.mjs --skip-build --out-dir /tmp/x

import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { parseArgs } from 'node:util';

const ROOT = resolve(import.meta.dirname, '..');
const { values: args } = parseArgs({ options: { 'skip-build': { type: 'boolean', default: false }, 'out-dir': { type: 'string', default: join(ROOT, 'dist') } } });

const agentPkg = JSON.parse(readFileSync(join(ROOT, 'packages/agent/package.json'), 'utf8'));
const nodeMajor = Number(process.versions.node.split('.')[0]);
const name = `outpost-agent-${agentPkg.version}-${process.platform}-${process.arch}`;

// Needed only to build or install a package, never at run time: not copied, not followed.
const INSTALL_ONLY = new Set(['prebuild-install', 'node-gyp', 'node-gyp-build-optional-packages']);
// Files no running agent reads. Licences and package.json files always stay.
const DROP_FILE = /(\.[cm]?ts|\.js\.map|\.mjs\.map|\.cjs\.map|\.ts\.map|\.tsbuildinfo|\.md|\.markdown|\.gyp|\.gypi|\.flow|\.coffee)$/i;
const DROP_DIR = new Set(['test', 'tests', '__tests__', 'docs', 'doc', 'example', 'examples', 'benchmark', 'benchmarks', 'bench', '.github', 'coverage', '.nyc_output']);
// Native packages: exactly the run-time files, with the compiled module for this Node ABI.
const NATIVE_FILES = {
  'better-sqlite3': ['package.json', 'LICENSE', 'lib', 'build/Release/better_sqlite3.node'],
  bufferutil: ['package.json', 'LICENSE', 'index.js', 'fallback.js', `prebuilds/${process.platform}-${process.arch}`],
};

function log(message) {
  process.stderr.write(`bundle-agent: ${message}\n`);
}

function run(cmd, cmdArgs, options = {}) {
  execFileSync(cmd, cmdArgs, { stdio: ['ignore', 'inherit', 'inherit'], cwd: ROOT, ...options });
}

/** Where Node would find `dep` when required from the package at `fromDir`. */
function resolvePackageDir(dep, fromDir) {
  for (let dir = fromDir; ; dir = dirname(dir)) {
    const candidate = join(dir, 'node_modules', dep);
    if (existsSync(join(candidate, 'package.json'))) return candidate;
    if (dir === dirname(dir)) throw new Error(`${dep} (needed by ${relative(ROOT, fromDir) || '.'}) is not installed; run npm ci first`);
  }
}

function copyFiltered(from, to) {
  cpSync(from, to, {
    recursive: true,
    dereference: true,
    filter: (src) => {
      const rel = relative(from, src);
      if (rel === '') return true;
      const base = rel.split('/').pop();
      // Only a package's own top-level test/, docs/… go: deeper names such as dist/doc/ are code.
      if (statSync(src).isDirectory()) return base !== 'node_modules' && !(rel === base && DROP_DIR.has(base));
      return /^licen[cs]e|^copying|^notice|^package\.json$/i.test(base) || !DROP_FILE.test(base);
    },
  });
}

/**
 * Copy `dep` and, recursively, its dependencies and installed optional dependencies into
 * `destModules`. A name already taken by another version is nested under the package that
 * needs it, as npm does.
 */
function copyDependency(dep, fromDir, destModules, placed) {
  if (INSTALL_ONLY.has(dep)) return;
  const srcDir = resolvePackageDir(dep, fromDir);
  const pkg = JSON.parse(readFileSync(join(srcDir, 'package.json'), 'utf8'));
  const key = `${dep}@${pkg.version}`;
  const topDest = join(destModules.top, dep);
  let dest;
  if (placed.get(dep) === undefined) {
    placed.set(dep, pkg.version);
    dest = topDest;
  } else if (placed.get(dep) === pkg.version) {
    return;
  } else {
    dest = join(destModules.parent, 'node_modules', dep);
    if (existsSync(dest)) return;
  }
  log(`  ${key}${dest === topDest ? '' : ` (nested in ${relative(destModules.top, destModules.parent)})`}`);
  const files = NATIVE_FILES[dep];
  if (files) {
    for (const file of files) {
      if (!existsSync(join(srcDir, file))) throw new Error(`${dep}: ${file} is missing from the installed package (was it built for this Node?)`);
      cpSync(join(srcDir, file), join(dest, file), { recursive: true, dereference: true });
    }
  } else {
    copyFiltered(srcDir, dest);
  }
  const deps = { ...pkg.dependencies, ...pkg.optionalDependencies };
  for (const child of Object.keys(deps)) {
    const optional = pkg.optionalDependencies && child in pkg.optionalDependencies;
    try {
      copyDependency(child, srcDir, { top: destModules.top, parent: dest }, placed);
    } catch (err) {
      if (!optional) throw err;
    }
  }
}

/** Our own workspace package: package.json and what its `files` publish (compiled), no type declarations. */
function copyWorkspacePackage(dir, dest) {
  const pkg = JSON.parse(readFileSync(join(ROOT, dir, 'package.json'), 'utf8'));
  for (const entry of pkg.files ?? ['dist']) copyFiltered(join(ROOT, dir, entry), join(dest, entry));
  delete pkg.scripts;
  delete pkg.devDependencies;
  writeFileSync(join(dest, 'package.json'), `${JSON.stringify(pkg, null, 2)}\n`);
  return pkg;
}

function launcher() {
  return `#!/bin/sh
# outpost-agent launcher: runs the bundled agent with Node ${nodeMajor} (the ABI its SQLite module was built for).
# Node is taken from $OUTPOST_NODE, else from PATH.
set -eu
# Follow a symlink (e.g. /usr/local/bin/outpost-agent) to the bundle; plain sh otherwise.
self=$0
if command -v readlink >/dev/null 2>&1; then self=$(readlink -f "$0"); fi
case $self in */*) here=\${self%/*} ;; *) here=. ;; esac
node=\${OUTPOST_NODE:-}
if [ -z "$node" ]; then
  node=$(command -v node || true)
fi
if [ -z "$node" ] || [ ! -x "$node" ]; then
  echo "outpost-agent: Node.js ${nodeMajor} is needed: put node on PATH or set OUTPOST_NODE=/path/to/node" >&2
  exit 2
fi
version=$("$node" --version 2>/dev/null || echo unknown)
major=\${version#v}
major=\${major%%.*}
if [ "$major" != "${nodeMajor}" ]; then
  echo "outpost-agent: this bundle needs Node.js ${nodeMajor}.x (its better-sqlite3 module is built for ABI ${process.versions.modules}); $node is $version. Install Node ${nodeMajor} or set OUTPOST_NODE." >&2
  exit 2
fi
# exec, not a child: signals from systemd reach Node itself. The agent's V8 memory settings
# are applied by bin/outpost-agent.js for \`run\` (OUTPOST_AGENT_V8_FLAGS=lean for small boxes, or your own flags).
exec "$node" "$here/../node_modules/@outpost/agent/bin/outpost-agent.js" "$@"
`;
}

const SAMPLE_CONFIG = `# outpost-agent configuration (sample). Create a real one with:
#   ./outpost-agent init --config /etc/outpost/agent.yaml --name NAME --data-dir /var/lib/outpost-agent \\
#     --collector wss://192.0.2.10:41121 --collector-key ed25519:... --tls-fingerprint ... --token opt_...
# then copy the checks below into it. Full reference: README.md of the Outpost repository.
agent:
  name: plant-cell-3
  data_dir: /var/lib/outpost-agent   # agent.key (0600) and outbox.db; the systemd unit's StateDirectory
collector:
  url: wss://192.0.2.10:41121
  key: ed25519:REPLACE-WITH-THE-KEY-PRINTED-BY-outpost-collector-init
  tls_fingerprint: REPLACE-WITH-THE-FINGERPRINT-PRINTED-BY-outpost-collector-init
defaults:
  interval: 60s
  timeout: 5s
checks:
  - id: ssh
    type: tcp
    target: 192.0.2.20:22
    expect: open
    critical: { connect_ms: "500" }
  - id: plc-web
    type: http
    url: http://192.0.2.21/
    expect_status: 200
  - id: gateway
    type: icmp              # needs fping and CAP_NET_RAW (the unit grants it)
    host: 192.0.2.1
  - id: local-sshd
    type: tcp
    target: 127.0.0.1:22
`;

function bundleReadme(version) {
  return `# outpost-agent ${version} (offline bundle, ${process.platform}-${process.arch}, Node ${nodeMajor})

Everything the agent needs except Node.js ${nodeMajor} itself: the compiled agent, its
production dependencies (better-sqlite3 built for Node ABI ${process.versions.modules}), a launcher,
a sample config and a systemd unit. No network access is needed to install it.

    tar -xzf ${name}.tar.gz -C /opt && ln -s /opt/${name} /opt/outpost-agent
    /opt/outpost-agent/outpost-agent --version
    /opt/outpost-agent/outpost-agent init --config /etc/outpost/agent.yaml --name NAME \\
      --data-dir /var/lib/outpost-agent --collector wss://COLLECTOR:41121 \\
      --collector-key ed25519:... --tls-fingerprint ... --token opt_...
    /opt/outpost-agent/outpost-agent run --config /etc/outpost/agent.yaml

The launcher uses \`node\` from PATH, or \`$OUTPOST_NODE\`, and refuses any Node major other
than ${nodeMajor} (the SQLite module would not load). ICMP checks need the \`fping\` binary.

As a service: copy \`outpost-agent.service\` to /etc/systemd/system/, create the user
(\`systemd-sysusers\` with the repository's deploy/systemd/outpost.conf, or
\`useradd --system outpost-agent\`), make the config readable by it
(\`chown root:outpost-agent /etc/outpost/agent.yaml; chmod 0640 …\`), then
\`systemctl enable --now outpost-agent\`. \`systemctl reload outpost-agent\` re-reads the
checks (SIGHUP); \`systemctl stop\` finishes the current outbox write and closes the link.
`;
}

// 1. Build
if (!args['skip-build']) {
  log('building @outpost/protocol and @outpost/agent');
  run(process.execPath, [join(ROOT, 'node_modules/typescript/bin/tsc'), '-b', 'packages/agent']);
  // The one-file agent the launcher prefers: a smaller resident set on the segment host.
  run(process.execPath, [join(ROOT, 'scripts/build-agent-bundle.mjs')]);
}

// 2. Assemble
const work = mkdtempSync(join(tmpdir(), 'outpost-bundle-'));
try {
  const top = join(work, name);
  const modules = join(top, 'node_modules');
  log(`assembling ${name}`);
  const agent = copyWorkspacePackage('packages/agent', join(modules, '@outpost/agent'));
  // The archive has no .tsbuildinfo for the launcher to compare with: a one-file agent older
  // than the compiled one (--skip-build after a tsc -b) stays out rather than run stale code.
  const oneFile = join(ROOT, 'packages/agent/dist/bundle/outpost-agent.mjs');
  const compiledAt = Math.max(0, ...['packages/agent', 'packages/protocol'].map((dir) => join(ROOT, dir, 'dist/.tsbuildinfo')).filter(existsSync).map((file) => statSync(file).mtimeMs));
  if (existsSync(oneFile) && statSync(oneFile).mtimeMs < compiledAt) {
    log('  dist/bundle left out: older than the compiled agent (node scripts/build-agent-bundle.mjs makes a new one)');
    rmSync(join(modules, '@outpost/agent/dist/bundle'), { recursive: true, force: true });
  }
  const protocol = copyWorkspacePackage('packages/protocol', join(modules, '@outpost/protocol'));
  const placed = new Map([['@outpost/agent', agent.version], ['@outpost/protocol', protocol.version]]);
  for (const [pkg, dir] of [[agent, 'packages/agent'], [protocol, 'packages/protocol']]) {
    for (const dep of Object.keys(pkg.dependencies ?? {})) {
      if (dep.startsWith('@outpost/')) continue;
      copyDependency(dep, join(ROOT, dir), { top: modules, parent: join(modules, pkg.name) }, placed);
    }
  }

  mkdirSync(join(top, 'bin'));
  writeFileSync(join(top, 'bin/outpost-agent'), launcher(), { mode: 0o755 });
  chmodSync(join(top, 'bin/outpost-agent'), 0o755);
  // A script rather than a symlink: it works wherever the archive was unpacked, however it is called.
  writeFileSync(join(top, 'outpost-agent'), '#!/bin/sh\n# Same as bin/outpost-agent.\ncase $0 in */*) top=${0%/*} ;; *) top=. ;; esac\nexec "$top/bin/outpost-agent" "$@"\n', { mode: 0o755 });
  chmodSync(join(top, 'outpost-agent'), 0o755);
  writeFileSync(join(top, 'outpost-agent.yaml.sample'), SAMPLE_CONFIG);
  cpSync(join(ROOT, 'deploy/systemd/outpost-agent.service'), join(top, 'outpost-agent.service'));
  cpSync(join(ROOT, 'deploy/systemd/outpost.conf'), join(top, 'outpost.sysusers.conf'));
  writeFileSync(join(top, 'README.md'), bundleReadme(agent.version));
  writeFileSync(join(top, 'BUILD-INFO'), `version=${agent.version}\nnode=${process.versions.node}\nabi=${process.versions.modules}\nplatform=${process.platform}-${process.arch}\n`);

  // Smoke test from the assembled tree with this Node: every dependency loads.
  const smoke = { cwd: top, env: { PATH: '/usr/bin:/bin' }, stdio: ['ignore', 'ignore', 'inherit'] };
  execFileSync(process.execPath, [join(modules, '@outpost/agent/bin/outpost-agent.js'), '--version'], smoke);
  execFileSync(process.execPath, ['-e', "new (require('better-sqlite3'))(':memory:').prepare('select 1').get()"], smoke);

  // 3. Archive (GNU tar from the system; fixed owner and order for stable archives)
  mkdirSync(args['out-dir'], { recursive: true });
  const archive = join(args['out-dir'], `${name}.tar.gz`);
  run('tar', ['--sort=name', '--owner=0', '--group=0', '--numeric-owner', '-czf', archive, '-C', work, name]);
  const digest = createHash('sha256').update(readFileSync(archive)).digest('hex');
  writeFileSync(`${archive}.sha256`, `${digest}  ${name}.tar.gz\n`);
  const files = readdirSync(top, { recursive: true }).length;
  const unpacked = Number(execFileSync('du', ['-sb', top], { encoding: 'utf8' }).split('\t')[0]);
  log(`wrote ${archive}: ${(statSync(archive).size / 1024 / 1024).toFixed(1)} MiB (${(unpacked / 1024 / 1024).toFixed(1)} MiB unpacked, ${files} files)`);
  process.stdout.write(`${JSON.stringify({ archive, sha256: digest, bytes: statSync(archive).size, unpackedBytes: unpacked, name })}\n`);
} finally {
  rmSync(work, { recursive: true, force: true });
}
