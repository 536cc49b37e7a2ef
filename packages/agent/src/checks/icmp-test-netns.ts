import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';

/**
 * Test support: a network namespace joined to this one by a veth pair, so ICMP tests have a
 * real peer that can be silenced without sending a packet anywhere outside this machine.
 * Host side 10.231.77.1/24, inside 10.231.77.2/24; nothing answers for other addresses.
 */
export interface IcmpLab {
  namespace: string;
  /** The veth end inside the namespace. */
  innerLink: string;
  hostAddress: string;
  peerAddress: string;
  /** An address in the lab subnet with no host behind it. */
  absentAddress: string;
  /** Run a command inside the namespace; throws with its stderr on failure. */
  exec(command: string, ...args: string[]): string;
  /** Remove the namespace and both veth ends; safe to call twice. */
  destroy(): void;
}

function run(command: string, args: string[]): string {
  try {
    return execFileSync(command, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 10_000 });
  } catch (err: unknown) {
    const stderr = (err as { stderr?: string }).stderr?.trim();
    throw new Error(`${command} ${args.join(' ')} failed: ${stderr || (err as Error).message}`);
  }
}

/** Create the lab; fails with a clear reason when not root or iproute2 is missing. */
export function createIcmpLab(): IcmpLab {
  if (process.getuid?.() !== 0) throw new Error('icmp namespace tests need root (ip netns add, veth pairs)');
  try {
    run('ip', ['-V']);
  } catch {
    throw new Error('`ip` not found: install the Debian package iproute2');
  }
  // Interface names are limited to 15 bytes: "op-icmp-" + 5 hex + "h"/"n".
  const tag = randomBytes(3).toString('hex').slice(0, 5);
  const namespace = `op-icmp-${tag}`;
  const hostLink = `op-icmp-${tag}h`;
  const innerLink = `op-icmp-${tag}n`;
  const lab: IcmpLab = {
    namespace,
    innerLink,
    hostAddress: '10.231.77.1',
    peerAddress: '10.231.77.2',
    absentAddress: '10.231.77.99',
    exec: (command, ...args) => run('ip', ['netns', 'exec', namespace, command, ...args]),
    destroy() {
      // Deleting the namespace destroys the inner end, which takes the host end with it;
      // the explicit link delete covers a failure before the move.
      for (const args of [['netns', 'del', namespace], ['link', 'del', hostLink]]) {
        try {
          run('ip', args);
        } catch {
          // already gone
        }
      }
    },
  };
  try {
    run('ip', ['netns', 'add', namespace]);
    run('ip', ['link', 'add', hostLink, 'type', 'veth', 'peer', 'name', innerLink]);
    run('ip', ['link', 'set', innerLink, 'netns', namespace]);
    run('ip', ['addr', 'add', `${lab.hostAddress}/24`, 'dev', hostLink]);
    run('ip', ['link', 'set', hostLink, 'up']);
    lab.exec('ip', 'addr', 'add', `${lab.peerAddress}/24`, 'dev', innerLink);
    lab.exec('ip', 'link', 'set', innerLink, 'up');
    lab.exec('ip', 'link', 'set', 'lo', 'up');
  } catch (err: unknown) {
    lab.destroy();
    throw err;
  }
  return lab;
}
