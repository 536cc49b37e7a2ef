// Every benchmark, one after the other (never in parallel: they compete for the same cores).
// Run: npm run bench [-- --tiny]. Arguments are passed to each script.
import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';

const SCRIPTS = ['scan.ts', 'checks.ts', 'outbox.ts', 'drain.ts', 'icmp.ts', 'ingest.ts', 'footprint.ts'];
let failed = 0;
for (const script of SCRIPTS) {
  console.log(`\n=== bench/${script} ${process.argv.slice(2).join(' ')}`);
  const result = spawnSync(process.execPath, ['--import', 'tsx', resolve(import.meta.dirname, script), ...process.argv.slice(2)], { stdio: 'inherit' });
  if (result.status !== 0) {
    failed++;
    console.error(`bench/${script} exited with ${result.status ?? result.signal}`);
  }
}
process.exitCode = failed > 0 ? 1 : 0;
