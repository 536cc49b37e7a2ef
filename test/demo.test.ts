import { spawn } from 'node:child_process';
import { join, resolve } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { eventually, freePort, getJson, tempDir } from './support/processes.js';

const DEMO = resolve(import.meta.dirname, '../scripts/demo.mjs');

describe('npm start (scripts/demo.mjs)', () => {
  const dir = tempDir('demo');
  afterEach(() => dir.cleanup());

  it('starts a collector and an enrolled demo agent whose checks reach the API', async () => {
    const port = await freePort();
    const httpPort = await freePort();
    const child = spawn(process.execPath, [DEMO], {
      env: { ...process.env, OUTPOST_DEMO_DIR: join(dir.path, 'demo'), OUTPOST_DEMO_PORT: String(port), OUTPOST_DEMO_HTTP_PORT: String(httpPort) },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (c: Buffer) => (output += c.toString()));
    child.stderr.on('data', (c: Buffer) => (output += c.toString()));
    try {
      const checks = await eventually('three demo checks', async () => {
        const view = await getJson<{ checks: { check: string; status: string }[] }>(`http://127.0.0.1:${httpPort}/api/v1/checks`);
        return view.checks.length === 3 ? view.checks : undefined;
      }, 45_000);
      expect(checks.map((c) => c.check).sort()).toEqual(['collector-agent-port', 'collector-api', 'telnet-must-stay-closed']);
      expect(checks.find((c) => c.check === 'collector-agent-port')!.status).toBe('OK');
      expect(output).toContain(`http://127.0.0.1:${httpPort}/api/v1/checks`);
    } finally {
      child.kill('SIGINT');
      await new Promise((r) => child.once('exit', r));
    }
  });
});
