import { spawn, type ChildProcessByStdio } from 'node:child_process';
import type { Readable, Writable } from 'node:stream';
import type { CommandNotifierConfig } from './config.js';
import type { DeliveryOutcome, NotificationPayload } from './types.js';

/** How much of the program's stderr is kept for the error text. */
export const MAX_STDERR_BYTES = 4096;
/** Grace between SIGTERM and SIGKILL for a program past its timeout. */
export const KILL_GRACE_MS = 2_000;

export interface CommandRunOptions {
  /** Aborts early (collector shutdown): the program is terminated like on timeout. */
  signal?: AbortSignal;
}

/**
 * Run the notifier's program once, without a shell: the payload JSON on stdin, the event in
 * `OUTPOST_EVENT_KIND`, `OUTPOST_AGENT`, `OUTPOST_CHECK`, `OUTPOST_STATUS` (empty when the
 * event has none), `OUTPOST_RULE` and `OUTPOST_NOTIFIER`. Success is exit 0 within the
 * timeout; past it the program gets SIGTERM, then SIGKILL {@link KILL_GRACE_MS} later.
 * Never throws for process outcomes.
 *
 * @example
 * const outcome = await runCommand({ type: 'command', argv: ['/usr/local/bin/page'], ... }, payload);
 */
export function runCommand(notifier: CommandNotifierConfig, payload: NotificationPayload, options: CommandRunOptions = {}): Promise<DeliveryOutcome> {
  const [program, ...args] = notifier.argv as [string, ...string[]];
  return new Promise((resolve) => {
    let child: ChildProcessByStdio<Writable, null, Readable>;
    try {
      child = spawn(program, args, {
        stdio: ['pipe', 'ignore', 'pipe'],
        env: {
          ...process.env,
          OUTPOST_EVENT_KIND: payload.kind,
          OUTPOST_AGENT: payload.agent,
          OUTPOST_CHECK: payload.check ?? '',
          OUTPOST_STATUS: payload.to ?? '',
          OUTPOST_RULE: payload.rule,
          OUTPOST_NOTIFIER: payload.notifier,
        },
        // Its own process group, so a timeout also ends what a wrapper script started.
        detached: true,
      });
    } catch (err: unknown) {
      resolve({ ok: false, error: `${program}: ${err instanceof Error ? err.message : String(err)}` });
      return;
    }
    const stderr: Buffer[] = [];
    let stderrBytes = 0;
    let killedFor: string | undefined;
    let spawnError: Error | undefined;
    let graceTimer: NodeJS.Timeout | undefined;

    const terminate = (why: string): void => {
      if (killedFor !== undefined) return;
      killedFor = why;
      signalGroup('SIGTERM');
      graceTimer = setTimeout(() => signalGroup('SIGKILL'), KILL_GRACE_MS);
    };
    const signalGroup = (signal: NodeJS.Signals): void => {
      if (child.pid === undefined) return;
      try {
        process.kill(-child.pid, signal);
      } catch {
        // Already gone: nothing left to end.
      }
    };
    const timeoutTimer = setTimeout(() => terminate(`timed out after ${notifier.timeoutMs} ms`), notifier.timeoutMs);
    const onAbort = (): void => terminate('aborted');
    options.signal?.addEventListener('abort', onAbort, { once: true });
    if (options.signal?.aborted) onAbort();

    child.stderr.on('data', (chunk: Buffer) => {
      if (stderrBytes >= MAX_STDERR_BYTES) return;
      const kept = chunk.subarray(0, MAX_STDERR_BYTES - stderrBytes);
      stderr.push(kept);
      stderrBytes += kept.length;
    });
    // A program that does not read its stdin closes the pipe early: that is its business.
    child.stdin.on('error', () => undefined);
    child.stdin.end(JSON.stringify(payload));
    child.on('error', (err) => {
      spawnError = err;
    });
    child.on('close', (code, signal) => {
      clearTimeout(timeoutTimer);
      options.signal?.removeEventListener('abort', onAbort);
      // The process is gone, but a grandchild may still hold the group: finish the kill.
      if (killedFor !== undefined && graceTimer !== undefined) {
        clearTimeout(graceTimer);
        signalGroup('SIGKILL');
      }
      const text = Buffer.concat(stderr).toString('utf8').trim();
      const detail = text.length > 0 ? `: ${text}` : '';
      if (spawnError !== undefined) resolve({ ok: false, error: `${program}: ${spawnError.message}` });
      else if (killedFor !== undefined) resolve({ ok: false, error: `${program} ${killedFor} (ended by ${signal ?? `exit ${code}`})${detail}` });
      else if (code === 0) resolve({ ok: true, status: 0 });
      else if (code !== null) resolve({ ok: false, status: code, error: `${program} exited with ${code}${detail}` });
      else resolve({ ok: false, error: `${program} ended by ${signal ?? 'a signal'}${detail}` });
    });
  });
}
