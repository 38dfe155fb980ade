import { Connection } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SEARCH_ATTRIBUTES } from '../temporal/search-attributes.js';
import { testEnv } from './env.js';

// Proves the integration stack from test/global-setup.ts is real and shaped the way the app
// expects, so a failure elsewhere is not first misread as a bug in the code under test.

// temporal.api.enums.v1.IndexedValueType numbers, as the operator API reports them.
const INDEXED_VALUE_TYPE = { Text: 1, Keyword: 2, Int: 3, Double: 4, Bool: 5, Datetime: 6, KeywordList: 7 } as const;

describe('integration services', () => {
  const env = testEnv();
  let connection: Connection;

  beforeAll(async () => {
    connection = await Connection.connect({ address: env.TEMPORAL_ADDRESS });
  });
  afterAll(async () => {
    await connection?.close();
  });

  it('provides the values in process.env too, for code that reads its config from there', () => {
    expect(process.env.TEMPORAL_ADDRESS).toBe(env.TEMPORAL_ADDRESS);
    expect(process.env.EMBEDDINGS_BASE_URL).toBe(env.EMBEDDINGS_BASE_URL);
    expect(env.TEST_DATA_DIR).toMatch(/\.test-data/);
  });

  it('Temporal answers and serves the namespace', async () => {
    const info = await connection.workflowService.getSystemInfo({});
    expect(info.serverVersion).toMatch(/^\d+\.\d+/);
    const ns = await connection.workflowService.describeNamespace({ namespace: env.TEMPORAL_NAMESPACE });
    expect(ns.namespaceInfo?.name).toBe(env.TEMPORAL_NAMESPACE);
  });

  it('has docflow search attributes with the declared types', async () => {
    const listed = await connection.operatorService.listSearchAttributes({ namespace: env.TEMPORAL_NAMESPACE });
    const expected = Object.fromEntries(Object.entries(SEARCH_ATTRIBUTES).map(([name, type]) => [name, INDEXED_VALUE_TYPE[type]]));
    const actual = Object.fromEntries(Object.keys(SEARCH_ATTRIBUTES).map((name) => [name, listed.customAttributes?.[name]]));
    expect(actual).toEqual(expected);
  });

  it('the embeddings server reports its model and returns 384-dim normalized vectors', async () => {
    const models = (await (await fetch(`${env.EMBEDDINGS_BASE_URL}/models`)).json()) as { data: { id: string }[] };
    expect(models.data.map((m) => m.id)).toContain(env.EMBEDDINGS_MODEL);

    const res = await fetch(`${env.EMBEDDINGS_BASE_URL}/embeddings`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: env.EMBEDDINGS_MODEL, input: ['hello world', 'olá mundo'], input_type: 'passage' }),
    });
    expect(res.ok).toBe(true);
    const body = (await res.json()) as { data: { index: number; embedding: number[] }[] };
    expect(body.data).toHaveLength(2);
    for (const item of body.data) {
      expect(item.embedding).toHaveLength(384);
      const norm = Math.hypot(...item.embedding);
      expect(norm).toBeCloseTo(1, 2);
    }
  });
});
