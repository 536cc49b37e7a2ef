// Loaded with NODE_OPTIONS="--import=<this file>" into a child process to profile it: Node 20
// refuses --cpu-prof in NODE_OPTIONS, so this does the same through the inspector. The
// profile is written on exit to $OUTPOST_BENCH_CPU_PROF_DIR/CPU.<pid>.cpuprofile.
import { mkdirSync, writeFileSync } from 'node:fs';
import { Session } from 'node:inspector';
import { join } from 'node:path';

const dir = process.env.OUTPOST_BENCH_CPU_PROF_DIR;
if (dir) {
  const session = new Session();
  session.connect();
  session.post('Profiler.enable');
  // 1 ms sampling, as --cpu-prof's default.
  session.post('Profiler.setSamplingInterval', { interval: 1000 });
  session.post('Profiler.start');
  // In-thread inspector calls complete synchronously, so this works inside 'exit'.
  process.once('exit', () => {
    session.post('Profiler.stop', (err, result) => {
      if (err) return;
      mkdirSync(dir, { recursive: true });
      writeFileSync(join(dir, `CPU.${process.pid}.cpuprofile`), JSON.stringify(result.profile));
    });
  });
}
