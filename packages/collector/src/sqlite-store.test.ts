import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { SqliteStore } from './sqlite-store.js';
import { describeStoreContract } from './store-contract-test-suite.js';

// Every store opens its own file in one temporary directory.
const root = mkdtempSync(join(tmpdir(), 'outpost-store-'));
let opened = 0;
afterAll(() => rmSync(root, { recursive: true, force: true }));

describeStoreContract('SqliteStore', async (settings) => SqliteStore.open(join(root, `collector-${++opened}.db`), settings));

describe('SqliteStore file', () => {
  it('creates its file readable by the owner only', async () => {
    const path = join(root, 'mode.db');
    const store = SqliteStore.open(path);
    try {
      expect(statSync(path).mode & 0o777).toBe(0o600);
    } finally {
      await store.close();
    }
  });
});
