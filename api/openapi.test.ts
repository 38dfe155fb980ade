/**
 * The published OpenAPI document: structurally valid 3.1 with every $ref resolving, schemas that
 * are valid JSON Schema 2020-12, real responses that match what it promises, and no route in the
 * app without an entry (a new route without docs fails here).
 */
import { Ajv2020 } from 'ajv/dist/2020.js';
import * as ajvFormats from 'ajv-formats';
import { describe, expect, it } from 'vitest';
import { buildOpenApiDocument } from './openapi.js';
import { createTestApp, oneFileForm } from './test-app.js';

type Json = Record<string, any>;
const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'];
const doc = buildOpenApiDocument() as Json;

function resolvePointer(ref: string): unknown {
  expect(ref.startsWith('#/'), `${ref} is not a local reference`).toBe(true);
  let node: unknown = doc;
  for (const raw of ref.slice(2).split('/')) {
    const part = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    node = node !== null && typeof node === 'object' ? (node as Json)[part] : undefined;
    if (node === undefined) throw new Error(`${ref} does not resolve`);
  }
  return node;
}

function collectRefs(node: unknown, out: string[] = []): string[] {
  if (Array.isArray(node)) node.forEach((n) => collectRefs(n, out));
  else if (node && typeof node === 'object') {
    for (const [k, v] of Object.entries(node)) {
      if (k === '$ref' && typeof v === 'string') out.push(v);
      else collectRefs(v, out);
    }
  }
  return out;
}

const operations = () =>
  Object.entries(doc.paths as Json).flatMap(([path, item]) =>
    Object.entries(item as Json)
      .filter(([method]) => METHODS.includes(method))
      .map(([method, op]) => ({ path, method, op: op as Json })),
  );

const BASE = 'https://docflow.invalid/openapi.json';
function makeAjv() {
  const ajv = new Ajv2020({ strict: false, allErrors: true });
  const addFormats = ((ajvFormats as unknown as { default?: unknown }).default ?? ajvFormats) as (a: Ajv2020) => Ajv2020;
  addFormats(ajv);
  ajv.addSchema({ $id: BASE, components: { schemas: doc.components.schemas } });
  return ajv;
}

/** Hono `:param` routes as OpenAPI templates. */
const templateOf = (honoPath: string) => honoPath.replace(/:([A-Za-z0-9_]+)/g, '{$1}');

describe('OpenAPI document', () => {
  it('is structurally valid OpenAPI 3.1', () => {
    expect(doc.openapi).toMatch(/^3\.1\.\d+$/);
    expect(doc.info).toMatchObject({ title: expect.any(String), version: expect.any(String) });
    expect(JSON.parse(JSON.stringify(doc))).toEqual(doc);
    const ids = new Set<string>();
    const tags = new Set((doc.tags as { name: string }[]).map((t) => t.name));
    for (const { path, method, op } of operations()) {
      const where = `${method.toUpperCase()} ${path}`;
      expect(path, where).toMatch(/^\/[^?#]*$/);
      expect(typeof op.operationId, where).toBe('string');
      expect(ids.has(op.operationId), `${where}: duplicate operationId`).toBe(false);
      ids.add(op.operationId);
      for (const tag of op.tags ?? []) expect(tags.has(tag), `${where}: undeclared tag ${tag}`).toBe(true);
      expect(Object.keys(op.responses).length, where).toBeGreaterThan(0);
      for (const [status, response] of Object.entries(op.responses as Json)) {
        expect(status, where).toMatch(/^([1-5]\d\d|[1-5]XX|default)$/);
        const resolved = (response.$ref ? resolvePointer(response.$ref) : response) as Json;
        expect(typeof resolved.description, `${where} ${status}`).toBe('string');
      }
      const templated = [...path.matchAll(/\{([^}]+)\}/g)].map((m) => m[1]).sort();
      const params = (op.parameters ?? []) as Json[];
      const declared = params
        .filter((p) => p.in === 'path')
        .map((p) => p.name)
        .sort();
      expect(declared, `${where}: path parameters`).toEqual(templated);
      for (const p of params) {
        expect(['path', 'query', 'header', 'cookie'], where).toContain(p.in);
        if (p.in === 'path') expect(p.required, where).toBe(true);
        expect(p.schema, `${where} ${p.name}`).toBeTypeOf('object');
      }
      if (op.requestBody) expect(Object.keys(op.requestBody.content).length, where).toBeGreaterThan(0);
      for (const requirement of op.security ?? doc.security) {
        for (const scheme of Object.keys(requirement)) expect(doc.components.securitySchemes[scheme], `${where}: ${scheme}`).toBeDefined();
      }
    }
  });

  it('resolves every $ref, and every schema is valid JSON Schema 2020-12', () => {
    const refs = collectRefs(doc);
    expect(refs.length).toBeGreaterThan(20);
    for (const ref of refs) expect(() => resolvePointer(ref), ref).not.toThrow();
    const ajv = makeAjv();
    for (const [name, schema] of Object.entries(doc.components.schemas as Json)) {
      expect(ajv.validateSchema(schema), `${name}: ${ajv.errorsText()}`).toBe(true);
      expect(ajv.getSchema(`${BASE}#/components/schemas/${name}`), name).toBeTypeOf('function');
    }
  });

  it('documents every route the app serves, and no route it lacks', async () => {
    const { app } = await createTestApp();
    const served = new Set(app.routes.filter((r) => r.method !== 'ALL' && !r.path.includes('*')).map((r) => `${r.method.toLowerCase()} ${templateOf(r.path)}`));
    const documented = new Set(operations().map(({ method, path }) => `${method} ${path}`));
    const undocumented = [...served].filter((route) => !documented.has(route));
    expect(undocumented, 'add these routes to OPERATIONS in api/openapi.ts').toEqual([]);
    // A documented route must exist once its resource is mounted; a whole resource may still be
    // on its way (its routes file written, its app.route line not yet added).
    const resource = (route: string) => route.split(' ')[1].split('/').slice(0, 3).join('/');
    const mounted = new Set([...served].map(resource));
    const stale = [...documented].filter((route) => mounted.has(resource(route)) && !served.has(route));
    expect(stale, 'these documented routes are not served').toEqual([]);
  });

  it('describes what the app really answers', async () => {
    const { app, keys, progress } = await createTestApp();
    const ajv = makeAjv();
    const check = async (method: string, template: string, res: Response) => {
      const response = doc.paths[template][method].responses[String(res.status)] as Json;
      expect(response, `${method} ${template} ${res.status} is not documented`).toBeDefined();
      const resolved = (response.$ref ? resolvePointer(response.$ref) : response) as Json;
      const ref = resolved.content?.['application/json']?.schema?.$ref as string | undefined;
      if (!ref) return;
      const validate = ajv.getSchema(`${BASE}${ref}`)!;
      const body = await res.json();
      expect(validate(body), `${method} ${template} ${res.status}: ${ajv.errorsText(validate.errors)}`).toBe(true);
    };
    const auth = { authorization: `Bearer ${keys.alpha}` };

    await check('get', '/api/health', await app.request('/api/health'));
    await check('get', '/api/openapi.json', await app.request('/api/openapi.json'));
    await check('get', '/api/limits', await app.request('/api/limits', { headers: auth }));
    await check('get', '/api/limits', await app.request('/api/limits'));
    const login = await app.request('/api/session', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ apiKey: keys.alpha }) });
    await check('post', '/api/session', login);
    const created = await app.request('/api/batches', { method: 'POST', headers: auth, body: oneFileForm() });
    const { batchId } = (await created.clone().json()) as Json;
    await check('post', '/api/batches', created);
    progress.set(batchId, { status: 'running', seq: 1, shardCount: 1, finishedShards: [], runningShards: [], cancelRequested: false });
    await check('get', '/api/batches/{batchId}', await app.request(`/api/batches/${batchId}`, { headers: auth }));
    await check('get', '/api/batches/{batchId}', await app.request('/api/batches/missing', { headers: auth }));
    await check('get', '/api/batches', await app.request('/api/batches?limit=5', { headers: auth }));
    await check('post', '/api/search', await app.request('/api/search', { method: 'POST', headers: { ...auth, 'content-type': 'application/json' }, body: '{"query":"x"}' }));
    await check('post', '/api/search', await app.request('/api/search', { method: 'POST', headers: { ...auth, 'content-type': 'application/json' }, body: '{}' }));
  });

  it('is served publicly, unlimited and uncached', async () => {
    const { app } = await createTestApp({ rateLimit: { perMinute: 1, burst: 1 } });
    for (let i = 0; i < 3; i++) {
      const res = await app.request('/api/openapi.json');
      expect(res.status).toBe(200);
      expect(res.headers.get('cache-control')).toBe('no-store');
      expect(await res.json()).toEqual(doc);
    }
  });
});
