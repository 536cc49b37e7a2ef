import { readFileSync, writeFileSync } from 'node:fs';
import { parse, stringify } from 'yaml';
import type { TestDeployment } from './deployment.js';
import { RunningProcess } from './processes.js';

/**
 * Start the deployment's collector with `--insecure` (plain ws://), the way TestDeployment
 * starts it otherwise. The process is registered on the deployment, so its cleanup stops it.
 *
 * @example
 * const d = await TestDeployment.create();
 * await startInsecureCollector(d);
 * await d.initAgent('lab-1', { checks });
 * makeAgentInsecure(d, 'lab-1');
 */
export async function startInsecureCollector(d: TestDeployment): Promise<RunningProcess> {
  const proc = new RunningProcess('collector', [
    'run', '--data-dir', d.collectorDir, '--listen', `127.0.0.1:${d.port}`, '--http', `127.0.0.1:${d.httpPort}`, '--insecure',
  ]);
  d.collector = proc;
  await proc.waitForLine((line) => line.includes('collector listening'));
  return proc;
}

/** Point an agent initialised by `d.initAgent` at ws:// with `collector.insecure: true`. */
export function makeAgentInsecure(d: TestDeployment, name: string): void {
  const file = d.configPath(name);
  const config = parse(readFileSync(file, 'utf8')) as { collector: Record<string, unknown> };
  config.collector['url'] = `ws://127.0.0.1:${d.port}`;
  config.collector['insecure'] = true;
  writeFileSync(file, stringify(config), { mode: 0o600 });
}
