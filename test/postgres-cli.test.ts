import { writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PostgresServer } from '../bench/lib/postgres-server.js';
import { TestDeployment } from './support/deployment.js';
import { eventually, freePort, runCli } from './support/processes.js';

// The operator's commands against a PostgreSQL store: `--store postgres://…` on agents,
// config, token and api-token reaches the database a running `run --store` collector uses,
// not the data directory's SQLite file; backup and vacuum refuse it and say what to use.

interface AgentRow { name: string; status: string; key: string; resultsStored: number }
interface ConfigShow { pushed: number; running: number; error: string | null; config: string | null }

let db: PostgresServer;
let d: TestDeployment;
let url = '';
let service: Server;
let servicePort = 0;

const cli = (...args: string[]) => runCli('collector', [...args, '--data-dir', d.collectorDir]);

async function agentsOn(store: string): Promise<AgentRow[]> {
  const res = await cli('agents', 'list', '--store', store, '--json');
  if (res.code !== 0) throw new Error(`agents list --store ${store} failed: ${res.stderr}`);
  return JSON.parse(res.stdout) as AgentRow[];
}

async function configShow(): Promise<ConfigShow> {
  const res = await cli('config', 'show', 'lab-1', '--store', url, '--json');
  if (res.code !== 0) throw new Error(`config show failed: ${res.stderr}`);
  return JSON.parse(res.stdout) as ConfigShow;
}

async function resultsInPostgres(check: string): Promise<number> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const { rows } = await client.query<{ n: string }>(
      "SELECT count(*) AS n FROM results r JOIN agents a ON a.id = r.agent_id WHERE a.name = 'lab-1' AND r.check_id = $1",
      [check],
    );
    return Number(rows[0]?.n ?? 0);
  } finally {
    await client.end();
  }
}

beforeAll(async () => {
  service = createServer((socket) => {
    socket.on('error', () => {});
    socket.end();
  });
  await new Promise<void>((resolve) => service.listen(0, '127.0.0.1', resolve));
  servicePort = (service.address() as { port: number }).port;
  db = await PostgresServer.start();
  url = await db.createDatabase('cli');
  d = await TestDeployment.create();
  await d.startCollector(['--store', url]);
}, 120_000);

afterAll(async () => {
  await d?.cleanup();
  await db?.stop();
  await new Promise((resolve) => service?.close(resolve));
});

describe('CLI commands with --store postgres://', () => {
  it('approves an agent that asked to enrol, and pushes it a config set from the command line', { timeout: 120_000 }, async () => {
    // No token: the agent's first Hello records it as pending, in PostgreSQL.
    await d.initAgent('lab-1', { token: false, checks: [{ id: 'local', type: 'tcp', target: `127.0.0.1:${servicePort}`, interval: '300ms' }] });
    d.startAgent('lab-1');
    const pending = await eventually('lab-1 pending in PostgreSQL', async () => (await agentsOn(url)).find((a) => a.name === 'lab-1' && a.status === 'pending'), 30_000);
    // The data directory's SQLite file knows nothing of it: the commands went to the server.
    expect(await agentsOn('sqlite')).toEqual([]);

    const approve = await cli('agents', 'approve', 'lab-1', '--key', pending.key.slice(0, 12), '--store', url);
    expect(approve.code, approve.stderr).toBe(0);
    expect(approve.stdout).toContain(`lab-1: active (key ${pending.key})`);
    await eventually('lab-1 storing results', async () => ((await resultsInPostgres('local')) > 0 ? true : undefined), 60_000);

    const file = join(d.root, 'lab-1-v1.yaml');
    writeFileSync(file, `checks:\n  - { id: pushed, type: tcp, target: "127.0.0.1:${servicePort}", interval: 300ms }\n`);
    const set = await cli('config', 'set', 'lab-1', file, '--store', url, '--json');
    expect(set.code, set.stderr).toBe(0);
    expect(JSON.parse(set.stdout)).toEqual({ agent: 'lab-1', version: 1 });
    // The running collector finds the version in the database and pushes it; the agent runs it.
    await eventually('lab-1 runs config v1', async () => ((await configShow()).running === 1 ? true : undefined), 60_000);
    expect(await configShow()).toMatchObject({ pushed: 1, running: 1, error: null, config: expect.stringContaining('id: pushed') });
    await eventually('the pushed check reports', async () => ((await resultsInPostgres('pushed')) > 0 ? true : undefined), 30_000);

    const revoke = await cli('agents', 'revoke', 'lab-1', '--store', url);
    expect(revoke.code, revoke.stderr).toBe(0);
    expect((await agentsOn(url)).map((a) => [a.name, a.status])).toEqual([['lab-1', 'revoked']]);
  });

  it('issues tokens and prints the API token with --store; backup and vacuum refuse PostgreSQL by name', { timeout: 60_000 }, async () => {
    const token = await cli('token', '--agent', 'lab-2', '--store', url, '--json');
    expect(token.code, token.stderr).toBe(0);
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      const { rows } = await client.query<{ agent_name: string }>('SELECT agent_name FROM enrollment_tokens');
      expect(rows).toEqual([{ agent_name: 'lab-2' }]);
    } finally {
      await client.end();
    }

    const plain = await cli('api-token');
    const withStore = await cli('api-token', '--store', url);
    expect(withStore.code, withStore.stderr).toBe(0);
    expect(withStore.stdout).toBe(plain.stdout);
    expect(plain.stdout.trim().length).toBeGreaterThan(20);

    const backup = await cli('backup', '--out', join(d.root, 'copy.db'), '--store', url);
    expect(backup.code).toBe(2);
    expect(backup.stderr).toContain('backup works on the SQLite file (collector.db) only, not on --store postgres://');
    expect(backup.stderr).toContain('pg_dump');
    const vacuum = await cli('vacuum', '--store', url);
    expect(vacuum.code).toBe(2);
    expect(vacuum.stderr).toContain('vacuum works on the SQLite file (collector.db) only, not on --store postgres://');

    const bad = await cli('agents', 'list', '--store', 'mysql://192.0.2.10/outpost');
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--store "mysql://192.0.2.10/outpost": expected "sqlite" or a postgres:// URL');
    // Nothing listens on this port: the error names the database (password hidden), exit 1.
    const closed = await freePort();
    const down = await cli('agents', 'list', '--store', `postgres://postgres:secret@127.0.0.1:${closed}/outpost`);
    expect(down.code).toBe(1);
    expect(down.stderr).toContain(`--store postgres://postgres:***@127.0.0.1:${closed}/outpost: `);
    expect(down.stderr).not.toContain('secret');
  });
});
