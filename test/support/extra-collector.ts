import { RunningProcess } from './processes.js';

/**
 * Start one more collector process on any data directory and ports (a standby, or a second
 * process on a shared database), the way TestDeployment starts its own. The caller stops it.
 *
 * @example
 * const standby = await startCollectorProcess(standbyDir, { host: '127.0.0.1', port, httpPort });
 * await standby.stop('SIGKILL');
 */
export async function startCollectorProcess(dataDir: string, at: { host: string; port: number; httpPort: number }): Promise<RunningProcess> {
  const proc = new RunningProcess('collector', ['run', '--data-dir', dataDir, '--listen', `${at.host}:${at.port}`, '--http', `${at.host}:${at.httpPort}`]);
  const exited = proc.exited.then((code) => {
    throw new Error(`collector on ${dataDir} exited (${code}) before listening:\n${proc.lines.join('\n')}`);
  });
  exited.catch(() => {});
  await Promise.race([proc.waitForLine((line) => line.includes('collector listening'), 30_000), exited]);
  return proc;
}

/** Log lines from index `from` on that say the agent connected to a collector URL on `port`. */
export function connectedTo(agent: RunningProcess, port: number, from = 0): string[] {
  return agent.lines.slice(from).filter((line) => line.includes('connected to collector') && line.includes(`:${port}/`));
}
