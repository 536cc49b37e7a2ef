// TCP check throughput: Outpost's tcp check runner beside check_tcp (one process per check,
// the way Nagios runs it), both against the same local server on 127.0.0.1.
// Run: npm run bench:checks [-- --connect 20000 --conversations 10000 --tiny]. See bench/README.md.
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { tcpCheck } from '../packages/agent/dist/checks/tcp.js';
import { onInterrupt } from './lib/netns.js';
import { formatTable, writeResults, type BenchRow } from './lib/report.js';
import { median, numberArg, parseArgs, requireTool } from './lib/tools.js';

const CHECK_TCP = '/usr/lib/nagios/plugins/check_tcp';
const args = parseArgs(process.argv.slice(2), {
  tiny: 'flag',
  connect: 'number',
  conversations: 'number',
  concurrency: 'number',
  'check-tcp-count': 'number',
  'check-tcp-parallel': 'number',
  repeat: 'number',
  'results-dir': 'string',
});
const tiny = args.has('tiny');
const options = {
  connectCount: numberArg(args, 'connect', tiny ? 200 : 20_000),
  conversationCount: numberArg(args, 'conversations', tiny ? 100 : 10_000),
  concurrency: numberArg(args, 'concurrency', 256),
  checkTcpCount: numberArg(args, 'check-tcp-count', tiny ? 16 : 300),
  checkTcpParallel: numberArg(args, 'check-tcp-parallel', 8),
  repeat: numberArg(args, 'repeat', tiny ? 1 : 3),
  /** What the scheduler would give each check; generous so a slow moment is not a failure. */
  timeoutMs: 5_000,
};

// The peer runs in its own process so it does not share an event loop with the checks.
// `connect` accepts and waits for the client's RST or FIN; `talk` answers PONG to a line.
const SERVER = `
const net = require('node:net');
const quiet = (socket) => socket.on('error', () => {});
const connect = net.createServer(quiet);
const talk = net.createServer((socket) => {
  quiet(socket);
  let seen = '';
  socket.on('data', (chunk) => {
    seen += chunk.toString('latin1');
    if (seen.includes('\\n')) { socket.write('PONG outpost-bench\\r\\n'); seen = ''; }
  });
});
let ready = 0;
const announce = () => { if (++ready === 2) process.stdout.write(JSON.stringify({ connect: connect.address().port, talk: talk.address().port }) + '\\n'); };
connect.listen({ port: 0, host: '127.0.0.1', backlog: 4096 }, announce);
talk.listen({ port: 0, host: '127.0.0.1', backlog: 4096 }, announce);`;

interface Server {
  connectPort: number;
  talkPort: number;
  stop(): void;
}

async function startServer(): Promise<Server> {
  const child: ChildProcess = spawn(process.execPath, ['-e', SERVER], { stdio: ['ignore', 'pipe', 'inherit'] });
  const stop = () => child.exitCode === null && child.kill('SIGKILL');
  onInterrupt(stop);
  const line = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      if (out.includes('\n')) resolve(out.trim());
    });
    child.once('exit', (code) => reject(new Error(`bench server exited with ${code} before listening`)));
  });
  const ports = JSON.parse(line) as { connect: number; talk: number };
  return { connectPort: ports.connect, talkPort: ports.talk, stop };
}

/** TIME_WAIT sockets in this network namespace (from /proc/net/sockstat). */
function timeWaitCount(): number {
  const match = /^TCP:.* tw (\d+)/m.exec(readFileSync('/proc/net/sockstat', 'utf8'));
  return match ? Number(match[1]) : -1;
}

interface PoolOutcome {
  seconds: number;
  ok: number;
  /** Not-OK results by observation word (or exit code for check_tcp). */
  failures: Record<string, number>;
}

/** Run `count` jobs with at most `concurrency` in flight; each job says OK or why not. */
async function pool(count: number, concurrency: number, job: () => Promise<string | undefined>): Promise<PoolOutcome> {
  let started = 0;
  let ok = 0;
  const failures: Record<string, number> = {};
  const began = performance.now();
  const lane = async () => {
    while (started < count) {
      started++;
      const failure = await job();
      if (failure === undefined) ok++;
      else failures[failure] = (failures[failure] ?? 0) + 1;
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, lane));
  return { seconds: (performance.now() - began) / 1000, ok, failures };
}

/** One Outpost check the way the scheduler runs it: own AbortController, timer at the timeout. */
function outpostJob(config: ReturnType<typeof tcpCheck.schema.parse>): () => Promise<string | undefined> {
  return async () => {
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(new Error('check timeout')), options.timeoutMs);
    try {
      const result = await tcpCheck.run(config, { signal: controller.signal, timeoutMs: options.timeoutMs });
      return result.status === 'OK' ? undefined : result.observation;
    } finally {
      clearTimeout(timer);
    }
  };
}

/** One check_tcp process, as Nagios forks it; exit code 0 is OK. */
function checkTcpJob(checkArgs: string[]): () => Promise<string | undefined> {
  return () =>
    new Promise((resolve) => {
      const child = spawn(CHECK_TCP, checkArgs, { stdio: 'ignore' });
      child.once('error', (err) => resolve(`spawn ${err.message}`));
      child.once('exit', (code) => resolve(code === 0 ? undefined : `exit ${code}`));
    });
}

interface Measured {
  rate: number;
  samples: number[];
  failures: Record<string, number>;
  timeWaitAfter: number;
}

async function measure(label: string, count: number, concurrency: number, job: () => Promise<string | undefined>): Promise<Measured> {
  const samples: number[] = [];
  const failures: Record<string, number> = {};
  for (let i = 0; i < options.repeat; i++) {
    const outcome = await pool(count, concurrency, job);
    const rate = outcome.ok / outcome.seconds;
    samples.push(rate);
    for (const [word, n] of Object.entries(outcome.failures)) failures[word] = (failures[word] ?? 0) + n;
    console.error(`[bench:checks] ${label}: ${count} in ${outcome.seconds.toFixed(3)} s = ${Math.round(rate)}/s, not OK ${JSON.stringify(outcome.failures)}, TIME_WAIT ${timeWaitCount()}`);
  }
  return { rate: median(samples), samples, failures, timeWaitAfter: timeWaitCount() };
}

async function main(): Promise<number> {
  requireTool(CHECK_TCP, 'monitoring-plugins-basic');
  const server = await startServer();
  try {
    const connectConfig = tcpCheck.schema.parse({ target: `127.0.0.1:${server.connectPort}` });
    const talkConfig = tcpCheck.schema.parse({ target: `127.0.0.1:${server.talkPort}`, steps: [{ send: 'PING\\r\\n' }, { expect: '^PONG' }] });
    const connectJob = outpostJob(connectConfig);
    const talkJob = outpostJob(talkConfig);
    // Untimed warm-up so the JIT has seen the check paths before the clock runs.
    await pool(Math.min(1_000, options.connectCount), options.concurrency, connectJob);
    await pool(Math.min(1_000, options.conversationCount), options.concurrency, talkJob);

    const host = ['-H', '127.0.0.1', '-t', '10'];
    const results = {
      outpostConnect: await measure('outpost connect', options.connectCount, options.concurrency, connectJob),
      checkTcpConnect: await measure('check_tcp connect', options.checkTcpCount, options.checkTcpParallel, checkTcpJob([...host, '-p', String(server.connectPort)])),
      outpostTalk: await measure('outpost send/expect', options.conversationCount, options.concurrency, talkJob),
      checkTcpTalk: await measure(
        'check_tcp send/expect',
        options.checkTcpCount,
        options.checkTcpParallel,
        checkTcpJob([...host, '-p', String(server.talkPort), '-E', '-s', 'PING\\r\\n', '-e', 'PONG']),
      ),
    };
    const ours = `${options.repeat > 1 ? `median of ${options.repeat}, ` : ''}concurrency ${options.concurrency}, timeout ${options.timeoutMs} ms`;
    const theirs = `check_tcp: ${options.checkTcpCount} processes, ${options.checkTcpParallel} in parallel`;
    const rows: BenchRow[] = [
      {
        scenario: 'TCP connect checks',
        unit: 'checks/s',
        outpost: results.outpostConnect.rate,
        peer: results.checkTcpConnect.rate,
        peerTool: 'check_tcp',
        better: 'higher',
        target: '≥ 12,000/s (check_tcp ~120/s)',
        met: results.outpostConnect.rate >= 12_000,
        settings: `${options.connectCount} checks, ${ours}; ${theirs}`,
      },
      {
        scenario: 'TCP send/expect checks',
        unit: 'checks/s',
        outpost: results.outpostTalk.rate,
        peer: results.checkTcpTalk.rate,
        peerTool: 'check_tcp -s -e',
        better: 'higher',
        target: '≥ 5,000/s',
        met: results.outpostTalk.rate >= 5_000,
        settings: `${options.conversationCount} conversations, ${ours}; ${theirs}`,
      },
    ];
    console.log(`\nTCP check benchmark, ${new Date().toISOString().slice(0, 10)}${tiny ? ' (--tiny: smoke sizes, figures meaningless)' : ''}\n`);
    console.log(formatTable(rows));
    const resultsDir = args.get('results-dir');
    const path = writeResults({ name: 'checks', rows, details: { tiny, options, results } }, typeof resultsDir === 'string' ? resultsDir : undefined);
    console.log(`\nresults: ${path}`);
    const failed = Object.entries(results).filter(([, m]) => Object.keys(m.failures).length > 0);
    for (const [name, m] of failed) console.error(`FAILED CHECKS in ${name}: ${JSON.stringify(m.failures)} (rates count OK checks only)`);
    return failed.length > 0 ? 1 : 0;
  } finally {
    server.stop();
  }
}

try {
  process.exitCode = await main();
} catch (err: unknown) {
  console.error(`[bench:checks] failed: ${err instanceof Error ? err.message : String(err)}`);
  process.exitCode = 1;
}
