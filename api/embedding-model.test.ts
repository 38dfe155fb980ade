import { describe, expect, it } from 'vitest';
import type { Embedder } from '../adapters/embedder.js';
import { createTenantSpaces, modelSet } from '../adapters/index-spaces.js';
import type { VectorStore } from '../adapters/vector-store.js';
import type { TemporalGateway } from './temporal-gateway.js';
import { createTestApp } from './test-app.js';

const model = (name: string): Embedder => ({
  model: name,
  dimensions: async () => 3,
  embed: async (t) => t.map(() => [1, 0, 0]),
  health: async () => ({ ok: true, detail: name }),
});

/** An app offering two models, whose gateway records switch starts per tenant (one at a time). */
async function appWithModels() {
  const running = new Set<string>();
  const starts: [string, string][] = [];
  const vectors = { forGeneration: () => vectors } as unknown as VectorStore;
  // Only the switch's part of the gateway is used here.
  const temporal = {
    async startModelSwitch(tenantId: string, modelName: string) {
      if (running.has(tenantId)) return null;
      running.add(tenantId);
      starts.push([tenantId, modelName]);
      return `embedding-model-${tenantId}`;
    },
    modelSwitch: async () => null,
    cancelModelSwitch: async (tenantId: string) => running.delete(tenantId),
  } as unknown as TemporalGateway;
  const spaces = createTenantSpaces({ catalog: { listIndexSpaces: async () => [] }, vectors, models: modelSet(model('small'), [model('large')]) });
  const { app, keys } = await createTestApp({ spaces, temporal });
  const call = (key: string, method: string, path: string, body?: unknown) =>
    app.request(`/api/embedding-model${path}`, {
      method,
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      ...(body ? { body: JSON.stringify(body) } : {}),
    });
  return { call, keys, starts };
}

describe('/api/embedding-model', () => {
  it('shows the model in use and the models offered', async () => {
    const { call, keys } = await appWithModels();
    const res = await call(keys.alpha, 'GET', '');
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ model: 'small', generation: 1, models: ['small', 'large'], switch: null });
  });

  it('starts one switch per tenant, and refuses unknown and current models before Temporal is asked', async () => {
    const { call, keys, starts } = await appWithModels();
    expect((await call(keys.alpha, 'POST', '', { model: 'nope' })).status).toBe(400);
    const same = await call(keys.alpha, 'POST', '', { model: 'small' });
    expect(same.status).toBe(400);
    expect(((await same.json()) as { error: { code: string } }).error.code).toBe('same_model');
    expect((await call(keys.alpha, 'POST', '', { model: 'large', extra: 1 })).status).toBe(400);
    const started = await call(keys.alpha, 'POST', '', { model: 'large' });
    expect(started.status).toBe(202);
    expect(await started.json()).toMatchObject({ workflowId: 'embedding-model-alpha', model: 'large', previousModel: 'small', phase: 'starting' });
    expect((await call(keys.alpha, 'POST', '', { model: 'large' })).status).toBe(409);
    // Another tenant's switch is its own.
    expect((await call(keys.beta, 'POST', '', { model: 'large' })).status).toBe(202);
    expect((await call(keys.beta, 'POST', '/cancel')).status).toBe(202);
    expect((await call(keys.beta, 'POST', '/cancel')).status).toBe(409);
    expect((await call(keys.alpha, 'POST', '', { model: 'large' })).status).toBe(409);
    expect(starts).toEqual([
      ['alpha', 'large'],
      ['beta', 'large'],
    ]);
  });
});
