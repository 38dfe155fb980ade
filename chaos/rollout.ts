/**
 * The rolling-deploy scenario's tooling, independent of what the workflows do inside: it writes
 * version 2 of the workflows module (every export of workflows/index.ts wrapped by
 * `rolledOut`, see rollout-patch.ts), and afterwards reads every history the run recorded from
 * Temporal and replays them against version 2, as a deploy pipeline would before shipping it.
 */
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Client, Connection } from '@temporalio/client';
import type { History } from '@temporalio/common/lib/proto-utils.js';
import { historyFromJSON } from '@temporalio/common/lib/proto-utils.js';
import { DefaultLogger, Runtime, Worker } from '@temporalio/worker';
import { bundleWorkflows, WORKFLOWS_ENTRY } from '../worker/workers.js';
import { ROLLOUT_MEMO } from './rollout-patch.js';

const PATCH_MODULE = fileURLToPath(new URL('./rollout-patch.ts', import.meta.url));
/** Histories recorded by the integration suite (workflows/replay.test.ts); version 2 must replay them too. */
const RECORDED_HISTORIES = fileURLToPath(new URL('../workflows/__histories__', import.meta.url));

/** Writes the version 2 entry module into `dir` and returns its path. */
export async function writeRolloutEntry(dir: string): Promise<string> {
  // Whatever workflows exist today: the names come from the module itself, not from a list here.
  const exported = await import(pathToFileURL(WORKFLOWS_ENTRY).href);
  const names = Object.keys(exported).filter((name) => typeof exported[name] === 'function');
  if (names.length === 0) throw new Error(`${WORKFLOWS_ENTRY} exports no workflow functions`);
  mkdirSync(dir, { recursive: true });
  const file = path.join(dir, 'workflows-v2.ts');
  const lines = [
    '// Written by chaos/rollout.ts: version 2 of every workflow, for the rolling-deploy scenario.',
    `import { rolledOut } from ${JSON.stringify(PATCH_MODULE)};`,
    `import * as v1 from ${JSON.stringify(WORKFLOWS_ENTRY)};`,
    ...names.map((name) => `export const ${name} = rolledOut(v1.${name});`),
    '',
  ];
  writeFileSync(file, lines.join('\n'));
  return file;
}

/** One recorded execution, as the scenario judges it. */
export interface RecordedExecution {
  workflowId: string;
  runId: string;
  /** Started by version 2 (it carries the patch's memo). */
  startedByV2: boolean;
  /** Identities of the workers that completed its workflow tasks. */
  taskIdentities: string[];
}

/** What replaying the run's histories against version 2 found. */
export interface ReplayOutcome {
  executions: RecordedExecution[];
  /** Histories replayed: the run's, plus the ones recorded in the repository. */
  replayed: number;
  /** One line per history that did not replay. */
  failures: string[];
}

/** The replay worker's runtime logs only warnings; its state changes would drown the report. */
function quietRuntime(): void {
  try {
    Runtime.install({ logger: new DefaultLogger('WARN') });
  } catch {
    // Installed already (an earlier replay in this process): keep it.
  }
}

/** A visibility-query timestamp literal. */
const since = (at: Date) => `StartTime >= '${at.toISOString()}'`;

/** A history to replay, named for the report. */
export interface NamedHistory {
  workflowId: string;
  history: History;
}

/** The histories recorded in the repository by the integration suite. */
export function repositoryHistories(): NamedHistory[] {
  return readdirSync(RECORDED_HISTORIES)
    .filter((file) => file.endsWith('.json'))
    .map((file) => ({ workflowId: `recorded ${file}`, history: historyFromJSON(JSON.parse(readFileSync(path.join(RECORDED_HISTORIES, file), 'utf8'))) }));
}

/** Replays `histories` against the workflows module at `workflowsPath`; one failure line per history that does not replay. */
export async function replayAgainst(workflowsPath: string, histories: NamedHistory[]): Promise<{ replayed: number; failures: string[] }> {
  quietRuntime();
  const workflowBundle = await bundleWorkflows(workflowsPath);
  const failures: string[] = [];
  let replayed = 0;
  for await (const result of Worker.runReplayHistories({ workflowBundle }, histories)) {
    replayed++;
    if (result.error) failures.push(`${result.workflowId}: ${result.error.message}`);
  }
  return { replayed, failures };
}

/**
 * Reads every execution started since `startedAt` and its history from Temporal at `address`,
 * and replays them, with the repository's recorded histories, against the workflows module at
 * `workflowsPath`.
 */
export async function replayRecordedHistories(address: string, startedAt: Date, workflowsPath: string): Promise<ReplayOutcome> {
  const connection = await Connection.connect({ address });
  try {
    const client = new Client({ connection });
    const executions: RecordedExecution[] = [];
    const histories: NamedHistory[] = [];
    for await (const execution of client.workflow.list({ query: since(startedAt) })) {
      const history = await client.workflow.getHandle(execution.workflowId, execution.runId).fetchHistory();
      const taskIdentities = new Set<string>();
      for (const event of history.events ?? []) {
        const identity = event.workflowTaskCompletedEventAttributes?.identity;
        if (identity) taskIdentities.add(identity);
      }
      executions.push({
        workflowId: execution.workflowId,
        runId: execution.runId,
        startedByV2: execution.memo?.[ROLLOUT_MEMO.key] === ROLLOUT_MEMO.value,
        taskIdentities: [...taskIdentities],
      });
      histories.push({ workflowId: `${execution.workflowId} (${execution.runId})`, history });
    }
    return { executions, ...(await replayAgainst(workflowsPath, [...histories, ...repositoryHistories()])) };
  } finally {
    await connection.close();
  }
}
