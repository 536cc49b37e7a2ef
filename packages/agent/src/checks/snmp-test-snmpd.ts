import { spawn, type ChildProcess } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { access, constants, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * Test support: a real net-snmp `snmpd` on 127.0.0.1 and a free UDP port, configured from
 * a temporary directory (no /etc/snmp, no /var/lib/snmp).
 */
export interface TestSnmpd {
  port: number;
  /** `127.0.0.1:port` */
  target: string;
  /** Stop snmpd (TERM, then KILL) and remove its directory; safe to call twice. */
  stop(): Promise<void>;
}

export interface TestSnmpdOptions {
  community: string;
  /** A v3 user with SHA authentication and AES privacy, allowed read access at authPriv. */
  v3User?: { name: string; authKey: string; privKey: string };
  sysDescr: string;
  /** A fixed number for threshold tests (sysServices, 1.3.6.1.2.1.1.7.0). */
  sysServices: number;
  startTimeoutMs?: number;
}

const SNMPD_PATHS = ['/usr/sbin/snmpd', '/usr/bin/snmpd', '/usr/local/sbin/snmpd'];
// Bounded log kept for the error message when snmpd does not come up.
const MAX_LOG_CHARS = 16_384;

async function findSnmpd(): Promise<string> {
  for (const path of SNMPD_PATHS) {
    try {
      await access(path, constants.X_OK);
      return path;
    } catch {
      // try the next place
    }
  }
  throw new Error('snmpd not found: install the Debian package snmpd');
}

function freeUdpPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const socket = createSocket('udp4');
    socket.once('error', reject);
    socket.bind(0, '127.0.0.1', () => {
      const { port } = socket.address();
      socket.close(() => resolve(port));
    });
  });
}

function configText(options: TestSnmpdOptions): string {
  const lines = [
    `rocommunity ${options.community} 127.0.0.1`,
    `sysDescr ${options.sysDescr}`,
    `sysServices ${options.sysServices}`,
    'sysLocation op-snmp-lab',
  ];
  if (options.v3User) {
    const { name, authKey, privKey } = options.v3User;
    // createUser is read from the main config too, and copied into persistentDir on exit.
    lines.push(`createUser ${name} SHA "${authKey}" AES "${privKey}"`, `rouser ${name} authPriv`);
  }
  return `${lines.join('\n')}\n`;
}

function waitForReady(child: ChildProcess, log: () => string, timeoutMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => done(new Error(`snmpd not ready within ${timeoutMs} ms:\n${log()}`)), timeoutMs);
    const onData = () => {
      // With -Lo snmpd prints its version banner once the listening socket is open.
      if (log().includes('NET-SNMP version')) done();
    };
    const onExit = (code: number | null) => done(new Error(`snmpd exited with ${code} before it was ready:\n${log()}`));
    const done = (error?: Error) => {
      clearTimeout(timer);
      child.stdout?.off('data', onData);
      child.stderr?.off('data', onData);
      child.off('exit', onExit);
      if (error) reject(error);
      else resolve();
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.once('exit', onExit);
  });
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
  await exited;
  clearTimeout(timer);
}

/** Start snmpd; retries on a new port if the one picked was taken in between. */
export async function startSnmpd(options: TestSnmpdOptions): Promise<TestSnmpd> {
  const binary = await findSnmpd();
  const dir = await mkdtemp(join(tmpdir(), 'op-snmp-'));
  try {
    const persist = join(dir, 'persist');
    const mibs = join(dir, 'mibs');
    await mkdir(persist);
    await mkdir(mibs);
    const conf = join(dir, 'snmpd.conf');
    await writeFile(conf, configText(options), { mode: 0o600 });
    let lastError: unknown;
    for (let attempt = 0; attempt < 3; attempt++) {
      const port = await freeUdpPort();
      const args = ['-f', '-Lo', '-C', '-c', conf, '-p', join(dir, 'snmpd.pid'), `--persistentDir=${persist}`, '-Dnone', `udp:127.0.0.1:${port}`];
      // An empty MIB directory keeps snmpd from parsing (and complaining about) system MIBs.
      const child = spawn(binary, args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, MIBS: '', MIBDIRS: mibs } });
      let log = '';
      const keep = (chunk: Buffer) => {
        log = (log + chunk.toString('utf8')).slice(-MAX_LOG_CHARS);
      };
      child.stdout.on('data', keep);
      child.stderr.on('data', keep);
      try {
        await waitForReady(child, () => log, options.startTimeoutMs ?? 15_000);
      } catch (error: unknown) {
        lastError = error;
        await stopChild(child);
        continue;
      }
      let stopped = false;
      return {
        port,
        target: `127.0.0.1:${port}`,
        async stop() {
          if (stopped) return;
          stopped = true;
          await stopChild(child);
          await rm(dir, { recursive: true, force: true });
        },
      };
    }
    throw lastError instanceof Error ? lastError : new Error('snmpd did not start');
  } catch (error: unknown) {
    await rm(dir, { recursive: true, force: true });
    throw error;
  }
}
