import { afterEach, describe, expect, it, vi } from 'vitest';
import { scanCommand, type ScanCommandOptions } from './scan-command.js';

const base: ScanCommandOptions = { target: '127.0.0.1', ports: '80', concurrency: 512, portTimeout: '1s', json: true, maxCidrPrefix: 16 };

afterEach(() => {
  vi.restoreAllMocks();
});

/** Run the command in this process and keep what it writes. */
async function scan(options: Partial<ScanCommandOptions>): Promise<{ code: number; stderr: string; stdout: string }> {
  let stderr = '';
  let stdout = '';
  vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => ((stderr += String(chunk)), true));
  vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => ((stdout += String(chunk)), true));
  const code = await scanCommand({ ...base, ...options }, AbortSignal.timeout(20_000));
  vi.restoreAllMocks();
  return { code, stderr, stdout };
}

describe('scanCommand', () => {
  // yargs hands over `--max-rate abc` as NaN and `--max-rate 0` as 0: neither is "no cap".
  for (const maxRate of [Number.NaN, 0, -0.5]) {
    it(`refuses a max rate of ${maxRate} with exit 2 before scanning`, async () => {
      const result = await scan({ maxRate });
      expect(result.code).toBe(2);
      expect(result.stdout).toBe('');
      expect(result.stderr).toMatch(/^outpost-agent scan: --max-rate: expected connects per second, a number above 0, got /);
      expect(result.stderr).not.toContain('Starting Outpost scan');
    });
  }

  it('scans with a valid fractional max rate', async () => {
    const result = await scan({ maxRate: 0.5 });
    expect(result.code, result.stderr).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ probes: { done: 1, total: 1 } });
  });
});
