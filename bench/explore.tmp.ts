import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { startChaosStack } from '../chaos/stack.js';
import { REPO_ROOT } from '../scripts/services/python-tools.js';
import { oneChunkDocs } from './corpora.js';
import { LOOPBACK_MODEL, startLoopbackEmbedder } from './loopback-embedder.js';
import { orchestratedRound } from './scenarios.js';

function tree(): string {
  const out = execFileSync('ps', ['-e', '-o', 'pid=,ppid=,time=,rss=,args='], { encoding: 'utf8' });
  const rows = out
    .trim()
    .split('\n')
    .map((l) => l.trim().split(/\s+/))
    .map((c) => ({ pid: +c[0], ppid: +c[1], time: c[2], rss: +c[3], args: c.slice(4).join(' ').slice(0, 110) }));
  const mine = new Set([process.pid]);
  let grew = true;
  while (grew) {
    grew = false;
    for (const r of rows)
      if (!mine.has(r.pid) && mine.has(r.ppid)) {
        mine.add(r.pid);
        grew = true;
      }
  }
  return rows
    .filter((r) => mine.has(r.pid))
    .map((r) => `${r.time} ${Math.round(r.rss / 1024)}MB ${r.args}`)
    .join('\n');
}

const emb = await startLoopbackEmbedder();
Object.assign(process.env, { EMBEDDINGS_BASE_URL: emb.baseURL, EMBEDDINGS_MODEL: LOOPBACK_MODEL, RATE_LIMIT_PER_MINUTE: '1000000', RATE_LIMIT_BURST: '100000' });
const stack = await startChaosStack({ dataDir: path.join(REPO_ROOT, '.test-data', `explore-${Date.now()}`), log: () => {} });
const target = { baseUrl: stack.baseUrl, apiKey: stack.apiKey, temporalAddress: stack.temporalAddress };
await orchestratedRound(target, [oneChunkDocs(50, 'w')], 0, 600_000);
console.log(tree());
const docs = oneChunkDocs(1000);
const batches = [0, 1, 2, 3, 4].map((i) => docs.slice(i * 200, i * 200 + 200));
for (let r = 0; r < 2; r++) {
  const t0 = Date.now();
  const res = await orchestratedRound(target, batches, 0, 600_000);
  console.log('round', r, res.seconds.toFixed(1), 's');
}
console.log(tree());
await stack.close();
await emb.close();
