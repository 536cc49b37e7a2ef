#!/usr/bin/env node
import { main } from '../dist/cli.js';

main().catch((err) => {
  process.stderr.write(`outpost-agent: ${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
