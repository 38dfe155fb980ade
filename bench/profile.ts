/**
 * `npm run bench -- --profile`: V8 CPU profiles of the stack's API and worker processes
 * (bench/cpu-profile-preload.mjs, written when a process exits cleanly), summarized as where each process spent
 * its time: by module (a package in node_modules, a file of ours, Node's internals) and by
 * function. The .cpuprofile files open in Chrome DevTools for the full picture.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}

interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

/** The module a frame belongs to: `pkg` for node_modules, a repository path for ours, Node's internals, or native code. */
function moduleOf(functionName: string, url: string, repoRoot: string): string {
  if (!url) return functionName === '(garbage collector)' || functionName === '(program)' ? '(v8: gc, program)' : '(native: fs, net, crypto…)';
  if (url.startsWith('node:')) return '(node internals)';
  const file = url.replace(/^file:\/\//, '');
  const modules = file.lastIndexOf('node_modules/');
  if (modules >= 0) {
    const rest = file.slice(modules + 'node_modules/'.length).split('/');
    return rest[0].startsWith('@') ? `${rest[0]}/${rest[1]}` : rest[0];
  }
  return path.relative(repoRoot, file) || file;
}

export interface ProfileSummary {
  file: string;
  /** Time the process was busy (samples not idle); shares are of this. */
  busyMs: number;
  totalMs: number;
  /** What the process mostly ran: the repository file with the most self time. */
  role: string;
  byModule: { name: string; ms: number; share: number }[];
  byFunction: { name: string; ms: number; share: number }[];
}

/** Self time per module and per function of one .cpuprofile. */
export function summarizeProfile(file: string, repoRoot: string, top = 12): ProfileSummary {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const selfUs = new Map<number, number>();
  profile.samples.forEach((id, i) => selfUs.set(id, (selfUs.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0)));
  const modules = new Map<string, number>();
  const functions = new Map<string, number>();
  let total = 0;
  let busy = 0;
  for (const [id, us] of selfUs) {
    const frame = byId.get(id)!.callFrame;
    total += us;
    if (frame.functionName === '(idle)') continue;
    busy += us;
    const mod = moduleOf(frame.functionName, frame.url, repoRoot);
    modules.set(mod, (modules.get(mod) ?? 0) + us);
    const name = `${frame.functionName || '(anonymous)'} ${mod}${frame.url ? `:${frame.lineNumber + 1}` : ''}`;
    functions.set(name, (functions.get(name) ?? 0) + us);
  }
  const rank = (m: Map<string, number>) =>
    [...m.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([name, us]) => ({ name, ms: Math.round(us / 1000), share: us / busy }));
  const ours = [...modules.entries()].filter(([name]) => /^(api|worker|runtime|activities|adapters|workflows|core)\//.test(name)).sort((a, b) => b[1] - a[1]);
  return { file, busyMs: Math.round(busy / 1000), totalMs: Math.round(total / 1000), role: ours[0]?.[0] ?? 'unknown', byModule: rank(modules), byFunction: rank(functions) };
}

/** Every profile in `dir`, summarized, as text for the terminal and docs/benchmarks.md. */
export function formatProfiles(dir: string, repoRoot: string): { text: string; summaries: ProfileSummary[] } {
  const files = readdirSync(dir).filter((f) => f.endsWith('.cpuprofile'));
  const summaries = files.map((f) => summarizeProfile(path.join(dir, f), repoRoot));
  const percent = (share: number) => `${(share * 100).toFixed(1).padStart(5)} %`;
  const text = summaries
    .sort((a, b) => b.busyMs - a.busyMs)
    .map((s) =>
      [
        `${path.basename(s.file)}: busy ${s.busyMs} ms of ${s.totalMs} ms, mostly ${s.role}; shares of busy time`,
        '  by module:',
        ...s.byModule.map((m) => `    ${percent(m.share)}  ${m.name}`),
        '  by function:',
        ...s.byFunction.map((f) => `    ${percent(f.share)}  ${f.name}`),
      ].join('\n'),
    )
    .join('\n\n');
  return { text, summaries };
}
