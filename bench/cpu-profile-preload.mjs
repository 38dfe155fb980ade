// Preloaded (NODE_OPTIONS=--import) into the stack's processes by `npm run bench -- --profile`:
// samples the process's CPU from start to exit and writes a .cpuprofile into
// DOCFLOW_CPU_PROFILE_DIR (Node 20 refuses --cpu-prof in NODE_OPTIONS, so the inspector does it).
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector';
import path from 'node:path';

const dir = process.env.DOCFLOW_CPU_PROFILE_DIR;
if (dir) {
  const session = new Session();
  session.connect();
  session.post('Profiler.enable');
  session.post('Profiler.start');
  process.on('exit', () => {
    // The in-process inspector answers synchronously, so this completes inside the exit handler.
    session.post('Profiler.stop', (err, result) => {
      if (!err) writeFileSync(path.join(dir, `${process.pid}.cpuprofile`), JSON.stringify(result.profile));
    });
  });
}
