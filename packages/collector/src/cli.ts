import { readFileSync } from 'node:fs';
import { encodeKey, ErrorCode, isOutpostError, OutpostError, parseDurationMs } from '@outpost/protocol';
import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';
import { Collector } from './collector.js';
import { loadCollectorConfig, type CollectorConfig } from './collector-config.js';
import { dataFiles, initDataDir, loadApiToken, loadIdentity, rotateCollectorKey } from './data-dir.js';
import { issueToken } from './enrollment.js';
import { formatImportReport, importExport, type ImportReport } from './import.js';
import { createLogger } from './logger.js';
import { backupCommand, reloadCollectorConfig, vacuumCommand } from './maintenance-commands.js';
import { testRule } from './notify/test-rule.js';
import { setAgentConfig } from './remote-config.js';
import { redactUrl, storeKind } from './collector-storage.js';
import { PgStore } from './pg-store.js';
import { SqliteStore } from './sqlite-store.js';
import type { AgentStatus, CollectorStore } from './store.js';
import { VERSION } from './version.js';

const EXIT = { ok: 0, failure: 1, usage: 2 } as const;

function fail(err: unknown, code: number = EXIT.usage): never {
  process.stderr.write(`outpost-collector: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(isOutpostError(err) ? code : EXIT.failure);
}

/** `host:port`, `[v6]:port` or `:port`; port 0 picks a free one. */
export function parseListen(text: string, option: string): { host: string; port: number } {
  const match = /^(?:\[([^\]]+)\]|([^:]*)):(\d{1,5})$/.exec(text);
  const port = match ? Number(match[3]) : NaN;
  if (!match || port > 65_535) throw new OutpostError(ErrorCode.CONFIG, `--${option} ${text}: expected HOST:PORT such as 127.0.0.1:8080`);
  return { host: match[1] ?? (match[2] || '0.0.0.0'), port };
}

/** `--store`, the same on every command that reads or writes the collector's database. */
const storeOption = {
  type: 'string',
  default: 'sqlite',
  describe: 'sqlite (collector.db in the data directory) or a postgres:// URL shared by several collectors',
} as const;

/**
 * Run `work` on the store `--store` names: the data directory's SQLite file, or a PostgreSQL
 * database (migrated first, as a collector would; a SQLite file only by `run`, see
 * SqliteStore.open). Closed afterwards either way.
 */
async function withStore<T>(dataDir: string, store: string, work: (store: CollectorStore) => Promise<T>): Promise<T> {
  const opened: CollectorStore =
    storeKind(store) === 'postgres' ? await openPostgres(store) : SqliteStore.open(dataFiles(dataDir).database, undefined, { migrate: false });
  try {
    return await work(opened);
  } finally {
    await opened.close();
  }
}

async function openPostgres(url: string): Promise<PgStore> {
  try {
    return await PgStore.open(url);
  } catch (err: unknown) {
    // A connection error alone ("ECONNREFUSED") does not say which database was meant. Not an
    // OutpostError: an unreachable server is a failure (exit 1), not a usage error (exit 2).
    throw new Error(`--store ${redactUrl(url)}: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
  }
}

/** For the commands that work on the SQLite file only (backup, vacuum). */
function requireSqlite(command: string, store: string, instead: string): void {
  if (storeKind(store) === 'postgres') {
    throw new OutpostError(ErrorCode.CONFIG, `${command} works on the SQLite file (collector.db) only, not on --store ${redactUrl(store)}: ${instead}`);
  }
}

async function setStatus(dataDir: string, storeUrl: string, name: string, status: AgentStatus, keyPrefix?: string): Promise<void> {
  const key = await withStore(dataDir, storeUrl, async (store) => {
    const agent = await store.findAgentByName(name);
    if (!agent) fail(new OutpostError(ErrorCode.CONFIG, `no agent named "${name}" (outpost-collector agents list)`));
    const text = encodeKey(agent.publicKey);
    // Anyone can claim a name while pending; --key makes sure the approved key is the one the operator saw.
    if (keyPrefix !== undefined && !text.startsWith(keyPrefix)) {
      fail(new OutpostError(ErrorCode.CONFIG, `agent "${name}" has key ${text}, which does not start with --key ${keyPrefix}`));
    }
    await store.setAgentStatus(name, status, Date.now());
    return text;
  });
  process.stdout.write(`${name}: ${status} (key ${key})\n`);
}

export async function main(args = hideBin(process.argv)): Promise<void> {
  const dataDir = { type: 'string', demandOption: true, describe: 'collector data directory' } as const;
  await yargs(args)
    .scriptName('outpost-collector')
    .version(VERSION)
    .command(
      'init',
      'create the collector key, TLS certificate and database',
      (y) => y.option('data-dir', dataDir).option('json', { type: 'boolean', default: false }),
      async (argv) => {
        try {
          const id = await initDataDir(argv['data-dir']);
          const out = { created: id.created, dataDir: argv['data-dir'], collectorKey: id.publicKey, tlsFingerprint: id.tlsFingerprint };
          process.stdout.write(
            argv.json
              ? `${JSON.stringify(out)}\n`
              : `${id.created ? 'created' : 'kept existing identity in'} ${argv['data-dir']}\ncollector key    ${id.publicKey}\ntls fingerprint  ${id.tlsFingerprint}\n`,
          );
        } catch (err: unknown) {
          fail(err);
        }
      },
    )
    .command(
      'token',
      'print a one-time enrollment token',
      (y) =>
        y
          .option('data-dir', dataDir)
          .option('ttl', { type: 'string', default: '1h', describe: 'how long the token is valid' })
          .option('agent', { type: 'string', describe: 'bind the token to this agent name' })
          .option('store', storeOption)
          .option('json', { type: 'boolean', default: false }),
      async (argv) => {
        const ttlMs = parseDurationMs(argv.ttl);
        if (ttlMs === undefined || ttlMs <= 0) fail(new OutpostError(ErrorCode.CONFIG, `--ttl ${argv.ttl}: expected a duration such as 30m or 24h`));
        const token = await withStore(argv['data-dir'], argv.store, (store) => issueToken(store, ttlMs, argv.agent ?? null));
        const expires = new Date(Date.now() + ttlMs).toISOString();
        process.stdout.write(argv.json ? `${JSON.stringify({ token, expires, agent: argv.agent ?? null })}\n` : `${token}\n`);
      },
    )
    .command(
      'agents <action> [name]',
      'list, approve or revoke agents',
      (y) =>
        y
          .positional('action', { choices: ['list', 'approve', 'revoke'] as const, demandOption: true })
          .positional('name', { type: 'string' })
          .option('key', { type: 'string', describe: 'approve only if the agent key starts with this (as printed by outpost-agent init)' })
          .option('data-dir', dataDir)
          .option('store', storeOption)
          .option('json', { type: 'boolean', default: false }),
      async (argv) => {
        if (argv.action === 'list') {
          const [agents, gaps] = await withStore(argv['data-dir'], argv.store, async (store) => [await store.listAgents(), await store.gapTotals()] as const);
          if (argv.json) {
            const rows = agents.map((a) => ({
              name: a.name, status: a.status, key: encodeKey(a.publicKey), lastSeen: a.lastSeenAt, resultsStored: a.resultsStored,
              gaps: gaps.get(a.id)?.gaps ?? 0, dropped: gaps.get(a.id)?.dropped ?? 0,
            }));
            process.stdout.write(`${JSON.stringify(rows)}\n`);
            return;
          }
          process.stdout.write(`${'NAME'.padEnd(24)} ${'STATUS'.padEnd(8)} ${'LAST SEEN'.padEnd(24)} ${'RESULTS'.padStart(10)} ${'DROPPED'.padStart(8)}  KEY\n`);
          for (const a of agents) {
            const seen = a.lastSeenAt ? new Date(a.lastSeenAt).toISOString() : 'never';
            const dropped = String(gaps.get(a.id)?.dropped ?? 0);
            process.stdout.write(`${a.name.padEnd(24)} ${a.status.padEnd(8)} ${seen.padEnd(24)} ${String(a.resultsStored).padStart(10)} ${dropped.padStart(8)}  ${encodeKey(a.publicKey)}\n`);
          }
          return;
        }
        if (!argv.name) fail(new OutpostError(ErrorCode.CONFIG, `agents ${argv.action}: expected an agent name`));
        await setStatus(argv['data-dir'], argv.store, argv.name, argv.action === 'approve' ? 'active' : 'revoked', argv.key);
      },
    )
    .command(
      'import <dir>',
      'verify and store the signed batch files of an air-gap export (outpost-agent export); exit 1 if any was rejected',
      (y) =>
        y
          .positional('dir', { type: 'string', demandOption: true, describe: 'export directory with manifest.json' })
          .option('data-dir', dataDir)
          .option('receipt', { type: 'string', describe: 'where to write the signed receipt (default DIR/receipt.json)' })
          .option('store', storeOption)
          .option('json', { type: 'boolean', default: false }),
      async (argv) => {
        let report: ImportReport;
        try {
          const identity = loadIdentity(argv['data-dir']);
          report = await withStore(argv['data-dir'], argv.store, (store) =>
            importExport({ store, keyPair: identity.keyPair, collectorKey: identity.publicKey, dir: argv.dir, ...(argv.receipt ? { receiptFile: argv.receipt } : {}) }),
          );
        } catch (err: unknown) {
          return fail(err);
        }
        process.stdout.write(argv.json ? `${JSON.stringify(report)}\n` : formatImportReport(report));
        process.exit(report.total.rejectedFiles === 0 && !report.refused ? EXIT.ok : EXIT.failure);
      },
    )
    .command(
      'rotate-key',
      'replace the collector key; the old key vouches for the new one during the overlap',
      (y) =>
        y
          .option('data-dir', dataDir)
          .option('overlap', { type: 'string', default: '30d', describe: 'how long agents may still move over by themselves' })
          .option('json', { type: 'boolean', default: false }),
      (argv) => {
        const overlapMs = parseDurationMs(argv.overlap);
        if (overlapMs === undefined || overlapMs <= 0) fail(new OutpostError(ErrorCode.CONFIG, `--overlap ${argv.overlap}: expected a duration such as 30d`));
        try {
          const out = rotateCollectorKey(argv['data-dir'], overlapMs);
          process.stdout.write(
            argv.json
              ? `${JSON.stringify(out)}\n`
              : `collector key    ${out.newKey} (was ${out.oldKey})\nendorsed until   ${out.until}\nRestart the collector to use it; agents pinned to the old key follow by themselves until then.\n`,
          );
        } catch (err: unknown) {
          fail(err);
        }
      },
    )
    .command(
      'config <action> <agent> [file]',
      "set or show an agent's remote config (checks and defaults, signed by the collector, pushed on its next contact)",
      (y) =>
        y
          .positional('action', { choices: ['set', 'show'] as const, demandOption: true })
          .positional('agent', { type: 'string', demandOption: true })
          .positional('file', { type: 'string', describe: 'YAML with checks: (and defaults:, scheduler:)' })
          .option('data-dir', dataDir)
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
    )
    .command(
      'api-token',
      'print the operator token for the HTTP API (writes, and reads when api.read is token)',
      // The token lives in the data directory whatever the store; --store is accepted (and
      // checked) so one set of options works for every command.
      (y) => y.option('data-dir', dataDir).option('store', storeOption),
      (argv) => {
        try {
          storeKind(argv.store);
          process.stdout.write(`${loadApiToken(argv['data-dir'])}\n`);
        } catch (err: unknown) {
          fail(err);
        }
      },
    )
    .command(
      'notify test <rule>',
      "send a test notification through one rule's notifiers, once each, and report what happened",
      (y) =>
        y
          .positional('rule', { type: 'string', demandOption: true })
          .option('config', { type: 'string', demandOption: true, describe: 'collector config file (YAML)' })
          .option('json', { type: 'boolean', default: false }),
      async (argv) => {
        let outcomes: Awaited<ReturnType<typeof testRule>>;
        try {
          const config = loadCollectorConfig(argv.config);
          outcomes = await testRule(config.notify, argv.rule, { logger: createLogger('outpost-collector', 2) });
        } catch (err: unknown) {
          return fail(err);
        }
        if (argv.json) process.stdout.write(`${JSON.stringify(outcomes)}\n`);
        else for (const o of outcomes) process.stdout.write(`${o.notifier.padEnd(24)} ${o.ok ? 'sent' : `FAILED: ${o.error ?? 'unknown error'}`}\n`);
        process.exit(outcomes.every((o) => o.ok) ? EXIT.ok : EXIT.failure);
      },
    )
    .command(
      'check-config <file>',
      'validate a collector config file and exit (0 valid, 2 invalid)',
      (y) => y.positional('file', { type: 'string', demandOption: true }),
      (argv) => {
        try {
          const config = loadCollectorConfig(argv.file);
          process.stdout.write(`${argv.file}: valid (${config.notify.rules.length} notification rules, ${Object.keys(config.notify.notifiers).length} notifiers)\n`);
        } catch (err: unknown) {
          fail(err);
        }
      },
    )
    .command(
      'backup',
      'copy the database while the collector runs (SQLite online backup), checked and mode 0600',
      (y) =>
        y
          .option('data-dir', dataDir)
          .option('out', { type: 'string', demandOption: true, describe: 'new file to write (must not exist)' })
          .option('store', storeOption)
          .option('json', { type: 'boolean', default: false }),
      async (argv) => {
        try {
          requireSqlite('backup', argv.store, 'back PostgreSQL up with pg_dump or the server\'s continuous archiving');
        } catch (err: unknown) {
          fail(err);
        }
        try {
          await backupCommand({ dataDir: argv['data-dir'], out: argv.out, json: argv.json });
        } catch (err: unknown) {
          fail(err, EXIT.failure);
        }
      },
    )
    .command(
      'vacuum',
      'rebuild the database once in incremental auto-vacuum mode, so pruning shrinks the file (collector stopped)',
      (y) => y.option('data-dir', dataDir).option('store', storeOption),
      async (argv) => {
        try {
          requireSqlite('vacuum', argv.store, 'PostgreSQL reclaims space with its own (auto)vacuum, and retention drops whole partitions');
        } catch (err: unknown) {
          fail(err);
        }
        try {
          await vacuumCommand({ dataDir: argv['data-dir'] });
        } catch (err: unknown) {
          fail(err, EXIT.failure);
        }
      },
    )
    .command(
      'run',
      'accept agents and serve the API until stopped',
      (y) =>
        y
          .option('data-dir', dataDir)
          .option('config', { type: 'string', describe: 'collector config file (YAML): state, agent labels, notifications, API access' })
          .option('listen', { type: 'string', default: '0.0.0.0:41121', describe: 'agent listener (TLS)' })
          .option('http', { type: 'string', default: '127.0.0.1:8080', describe: 'HTTP API listener' })
          .option('insecure', { type: 'boolean', default: false, describe: 'plain ws:// without TLS (results readable on the wire)' })
          .option('max-unauthenticated', { type: 'number', default: 256, describe: 'connections not yet admitted, in total' })
          .option('max-unauthenticated-per-address', { type: 'number', default: 32, describe: 'connections not yet admitted, per source address' })
          .option('connect-rate', { type: 'number', default: 50, describe: 'new connections per second per source address (burst 4x)' })
          .option('store', storeOption),
      async (argv) => {
        const logger = createLogger('outpost-collector');
        let collector: Collector;
        try {
          // A bad config stops the collector before it listens: nothing half-starts.
          const config: CollectorConfig | undefined = argv.config ? loadCollectorConfig(argv.config) : undefined;
          collector = new Collector({
            ...(config ? { config } : {}),
            dataDir: argv['data-dir'],
            store: argv.store,
            listen: parseListen(argv.listen, 'listen'),
            http: parseListen(argv.http, 'http'),
            insecure: argv.insecure,
            maxUnauthenticated: argv['max-unauthenticated'],
            maxUnauthenticatedPerAddress: argv['max-unauthenticated-per-address'],
            connectRatePerAddress: argv['connect-rate'],
            logger,
          });
          await collector.start();
        } catch (err: unknown) {
          return fail(err);
        }
        const reload = () => reloadCollectorConfig(collector, argv.config, logger);
        process.on('SIGHUP', reload);
        const signal = await new Promise<NodeJS.Signals>((resolve) => {
          process.once('SIGTERM', resolve);
          process.once('SIGINT', resolve);
        });
        // Ingest is synchronous: the batch being stored when the signal came is committed
        // before this runs. stop() closes the agent sockets (agents resend what was not
        // acknowledged), waits for a prune chunk in progress, then closes the database.
        logger.info({ signal }, 'stopping');
        process.off('SIGHUP', reload);
        await collector.stop();
        process.exit(EXIT.ok);
      },
    )
    .demandCommand(1)
    .strict()
    .help()
    .fail((message, err) => {
      if (err) fail(err);
      process.stderr.write(`outpost-collector: ${message}\n(run outpost-collector --help)\n`);
      process.exit(EXIT.usage);
    })
    .parseAsync();
}
