#!/usr/bin/env node
// `npm start`: a collector and a demo agent on this machine, talking wss over loopback.
// State lives in .demo/ (or OUTPOST_DEMO_DIR) and survives restarts; delete it to start over.
import { execFileSync, spawn } from 'node:child_process';
import { connect } from 'node:net';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse, stringify } from 'yaml';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const bins = {
  collector: join(root, 'packages/collector/bin/outpost-collector.js'),
  agent: join(root, 'packages/agent/bin/outpost-agent.js'),
};
const dir = resolve(process.env.OUTPOST_DEMO_DIR ?? join(root, '.demo'));
const port = Number(process.env.OUTPOST_DEMO_PORT ?? 41121);
const httpPort = Number(process.env.OUTPOST_DEMO_HTTP_PORT ?? 8080);
const collectorDir = join(dir, 'collector');
const agentConfig = join(dir, 'agent', 'agent.yaml');

const cli = (bin, args) => execFileSync(process.execPath, [bins[bin], ...args], { encoding: 'utf8' });

const identity = JSON.parse(cli('collector', ['init', '--data-dir', collectorDir, '--json']));
if (!existsSync(agentConfig)) {
  const token = cli('collector', ['token', '--data-dir', collectorDir, '--agent', 'demo-agent', '--ttl', '10m']).trim();
  cli('agent', [
    'init', '--config', agentConfig, '--name', 'demo-agent', '--collector', `wss://127.0.0.1:${port}`,
    '--collector-key', identity.collectorKey, '--tls-fingerprint', identity.tlsFingerprint, '--token', token,
  ]);
  const config = parse(readFileSync(agentConfig, 'utf8'));
  config.defaults = { interval: '10s', timeout: '2s', jitter: '10%' };
  config.checks = [
    { id: 'collector-agent-port', type: 'tcp', target: `127.0.0.1:${port}`, expect: 'open' },
    { id: 'collector-api', type: 'tcp', target: `127.0.0.1:${httpPort}`, expect: 'open' },
    { id: 'telnet-must-stay-closed', type: 'tcp', target: '127.0.0.1:23', expect: 'closed' },
  ];
  writeFileSync(agentConfig, stringify(config), { mode: 0o600 });
}

/** Print a child's JSON log lines as `[name] message key=value`. */
function start(name, bin, args) {
  const child = spawn(process.execPath, [bins[bin], ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  const print = (chunk) => {
    for (const line of chunk.toString('utf8').split('\n').filter(Boolean)) {
      let text = line;
      try {
        const { level, time, pid, hostname, name: _n, msg, ...rest } = JSON.parse(line);
        const extra = Object.entries(rest).map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`).join(' ');
        text = `${level >= 50 ? 'ERROR ' : level >= 40 ? 'WARN ' : ''}${msg}${extra ? `  ${extra}` : ''}`;
      } catch {}
      process.stdout.write(`[${name}] ${text}\n`);
    }
  };
  child.stdout.on('data', print);
  child.stderr.on('data', print);
  return child;
}

/** Resolves once something accepts TCP on 127.0.0.1:`p`; tried every 100 ms for at most `timeoutMs`. */
async function accepting(p, timeoutMs, gaveUp) {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const open = await new Promise((done) => {
      const socket = connect({ host: '127.0.0.1', port: p }, () => {
        socket.destroy();
        done(true);
      });
      socket.once('error', () => done(false));
    });
    if (open) return;
    if (gaveUp() || Date.now() > until) throw new Error(`the collector is not listening on 127.0.0.1:${p}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

const collector = start('collector', 'collector', ['run', '--data-dir', collectorDir, '--listen', `127.0.0.1:${port}`, '--http', `127.0.0.1:${httpPort}`]);
// The agent starts once the collector listens: its first round checks the collector's own
// ports, which a collector still starting would refuse (a false CRITICAL on a loaded machine).
try {
  for (const p of [port, httpPort]) await accepting(p, 60_000, () => collector.exitCode !== null);
} catch (err) {
  process.stdout.write(`${err.message}; stopping\n`);
  collector.kill('SIGTERM');
  process.exit(1);
}
const agent = start('agent', 'agent', ['run', '--config', agentConfig]);
process.stdout.write(
  `\nOutpost demo: collector on wss://127.0.0.1:${port}, demo agent checking local ports.\n` +
    `  console  http://127.0.0.1:${httpPort}/\n` +
    `  checks   http://127.0.0.1:${httpPort}/api/v1/checks\n` +
    `  events   http://127.0.0.1:${httpPort}/api/v1/events\n` +
    `  agents   http://127.0.0.1:${httpPort}/api/v1/agents\n` +
    `  results  http://127.0.0.1:${httpPort}/api/v1/results?limit=20\n` +
    `  status   node ${bins.agent} status --config ${agentConfig}\n` +
    `Ctrl-C stops both. State is kept in ${dir}.\n\n`,
);

let stopping = false;
const stop = () => {
  if (stopping) return;
  stopping = true;
  agent.kill('SIGTERM');
  collector.kill('SIGTERM');
};
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
for (const child of [collector, agent]) {
  child.on('exit', (code) => {
    if (!stopping) {
      process.stdout.write(`a demo process exited (code ${code}); stopping the other\n`);
      process.exitCode = 1;
      stop();
    }
  });
}
