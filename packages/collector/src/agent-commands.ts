import { readFileSync } from 'node:fs';
import { encodeKey, ErrorCode, OutpostError, parseDurationMs } from '@outpost/protocol';
import type { Argv } from 'yargs';
import { fail } from './cli-exit.js';
import { dataDirOption, storeOption, withStore } from './cli-store.js';
import { storeKind } from './collector-storage.js';
import { loadApiToken, loadIdentity } from './data-dir.js';
import { checkStatusChange, issueToken, tokenNameRefusal } from './enrollment.js';
import { setAgentConfig } from './remote-config.js';
import type { AgentStatus } from './store.js';

// The operator's commands about agents: enrollment tokens, listing, approving and revoking
// agents, their remote configs, and the operator token for the HTTP API.

async function setStatus(dataDir: string, storeUrl: string, name: string, status: AgentStatus, keyPrefix?: string): Promise<void> {
  const { key, readmits } = await withStore(dataDir, storeUrl, async (store) => {
    const agent = await store.findAgentByName(name);
    if (!agent) fail(new OutpostError(ErrorCode.CONFIG, `no agent named "${name}" (outpost-collector agents list)`));
    const change = checkStatusChange(agent, status, keyPrefix, (prefix) => `--key ${prefix}`);
    if (change.refused !== undefined) fail(new OutpostError(agent.status === 'revoked' ? ErrorCode.REVOKED : ErrorCode.CONFIG, change.refused));
    await store.setAgentStatus(name, status, Date.now());
    return { key: encodeKey(agent.publicKey), readmits: change.readmits };
  });
  process.stdout.write(`${name}: ${status} (key ${key})${readmits ? ', re-admitted after its revocation: the key given with --key matched' : ''}\n`);
}

/**
 * `outpost-collector token`: a one-time enrollment token, optionally bound to one agent name.
 *
 * @example
 * await addTokenCommand(yargs(['token', '--data-dir', dir, '--ttl', '30m'])).parseAsync();
 */
export function addTokenCommand(y: Argv): Argv {
  return y.command(
    'token',
    'print a one-time enrollment token',
    (y) =>
      y
        .option('data-dir', dataDirOption)
        .option('ttl', { type: 'string', default: '1h', describe: 'how long the token is valid' })
        .option('agent', { type: 'string', describe: 'bind the token to this agent name' })
        .option('store', storeOption)
        .option('json', { type: 'boolean', default: false }),
    async (argv) => {
      const ttlMs = parseDurationMs(argv.ttl);
      if (ttlMs === undefined || ttlMs <= 0) fail(new OutpostError(ErrorCode.CONFIG, `--ttl ${argv.ttl}: expected a duration such as 30m or 24h`));
      const token = await withStore(argv['data-dir'], argv.store, async (store) => {
        const refusal = argv.agent === undefined ? undefined : await tokenNameRefusal(store, argv.agent);
        if (refusal !== undefined) fail(new OutpostError(ErrorCode.REVOKED, refusal));
        return issueToken(store, ttlMs, argv.agent ?? null);
      });
      const expires = new Date(Date.now() + ttlMs).toISOString();
      process.stdout.write(argv.json ? `${JSON.stringify({ token, expires, agent: argv.agent ?? null })}\n` : `${token}\n`);
    },
  );
}

/** `outpost-collector agents list|approve|revoke [name]`: approval only for a key that starts with --key; a revoked agent only with --key. */
export function addAgentsCommand(y: Argv): Argv {
  return y.command(
    'agents <action> [name]',
    'list, approve or revoke agents',
    (y) =>
      y
        .positional('action', { choices: ['list', 'approve', 'revoke'] as const, demandOption: true })
        .positional('name', { type: 'string' })
        .option('key', { type: 'string', describe: 'approve only if the agent key starts with this (as printed by outpost-agent init); required to re-admit a revoked agent' })
        .option('data-dir', dataDirOption)
        .option('store', storeOption)
        .option('json', { type: 'boolean', default: false }),
    async (argv) => {
      if (argv.action === 'list') {
        const [agents, gaps] = await withStore(argv['data-dir'], argv.store, async (store) => [await store.listAgents(), await store.gapTotals()] as const);
        if (argv.json) {
          const rows = agents.map((a) => ({
            name: a.name, status: a.status, key: encodeKey(a.publicKey), lastSeen: a.lastSeenAt, lastRefused: a.lastRefusedAt, remoteAddress: a.remoteAddress,
            resultsStored: a.resultsStored,
            gaps: gaps.get(a.id)?.gaps ?? 0, dropped: gaps.get(a.id)?.dropped ?? 0,
          }));
          process.stdout.write(`${JSON.stringify(rows)}\n`);
          return;
        }
        process.stdout.write(`${'NAME'.padEnd(24)} ${'STATUS'.padEnd(8)} ${'LAST SEEN'.padEnd(24)} ${'RESULTS'.padStart(10)} ${'DROPPED'.padStart(8)}  KEY\n`);
        for (const a of agents) {
          const seen = a.lastSeenAt ? new Date(a.lastSeenAt).toISOString() : 'never';
          const dropped = String(gaps.get(a.id)?.dropped ?? 0);
          // A pending or revoked agent is never seen: when it last knocked, and from where.
          const tried = a.status !== 'active' && a.lastRefusedAt ? `  (tried ${new Date(a.lastRefusedAt).toISOString()} from ${a.remoteAddress ?? '?'})` : '';
          process.stdout.write(`${a.name.padEnd(24)} ${a.status.padEnd(8)} ${seen.padEnd(24)} ${String(a.resultsStored).padStart(10)} ${dropped.padStart(8)}  ${encodeKey(a.publicKey)}${tried}\n`);
        }
        return;
      }
      if (!argv.name) fail(new OutpostError(ErrorCode.CONFIG, `agents ${argv.action}: expected an agent name`));
      await setStatus(argv['data-dir'], argv.store, argv.name, argv.action === 'approve' ? 'active' : 'revoked', argv.key);
    },
  );
}

/** `outpost-collector config set|show <agent> [file]`: an agent's remote config, signed by the collector. */
export function addConfigCommand(y: Argv): Argv {
  return y.command(
    'config <action> <agent> [file]',
    "set or show an agent's remote config (checks and defaults, signed by the collector, pushed on its next contact)",
    (y) =>
      y
        .positional('action', { choices: ['set', 'show'] as const, demandOption: true })
        .positional('agent', { type: 'string', demandOption: true })
        .positional('file', { type: 'string', describe: 'YAML with checks: (and defaults:, scheduler:)' })
        .option('data-dir', dataDirOption)
        .option('store', storeOption)
        .option('json', { type: 'boolean', default: false }),
    async (argv) => {
      try {
        if (argv.action === 'set') {
          if (!argv.file) throw new OutpostError(ErrorCode.CONFIG, 'config set: expected a file');
          const text = readFileSync(argv.file, 'utf8');
          const { keyPair } = loadIdentity(argv['data-dir']);
          const version = await withStore(argv['data-dir'], argv.store, (store) => setAgentConfig(store, keyPair, argv.agent, text, argv.file!));
          process.stdout.write(argv.json ? `${JSON.stringify({ agent: argv.agent, version })}\n` : `${argv.agent}: config version ${version} stored; pushed when the agent is connected\n`);
          return;
        }
        const out = await withStore(argv['data-dir'], argv.store, async (store) => {
          const agent = await store.findAgentByName(argv.agent);
          if (!agent) throw new OutpostError(ErrorCode.CONFIG, `no agent named "${argv.agent}"`);
          const latest = await store.latestAgentConfig(agent.id);
          return {
            agent: agent.name, pushed: latest?.version ?? 0, running: agent.configVersion ?? 0, configHash: agent.configHash, error: agent.configError,
            config: latest ? Buffer.from(latest.config).toString('utf8') : null,
          };
        });
        if (argv.json) process.stdout.write(`${JSON.stringify(out)}\n`);
        else process.stdout.write(`${out.agent}: latest version ${out.pushed}, agent runs ${out.running}${out.error ? ` (last refusal: ${out.error})` : ''}\n${out.config ?? ''}`);
      } catch (err: unknown) {
        fail(err);
      }
    },
  );
}

/** `outpost-collector api-token`: the operator token for the HTTP API. */
export function addApiTokenCommand(y: Argv): Argv {
  return y.command(
    'api-token',
    'print the operator token for the HTTP API (writes, and reads when api.read is token)',
    // The token lives in the data directory whatever the store; --store is accepted (and
    // checked) so one set of options works for every command.
    (y) => y.option('data-dir', dataDirOption).option('store', storeOption),
    (argv) => {
      try {
        storeKind(argv.store);
        process.stdout.write(`${loadApiToken(argv['data-dir'])}\n`);
      } catch (err: unknown) {
        fail(err);
      }
    },
  );
}
