import { describe, expect, it } from 'vitest';
import { validate as uuidValidate, version as uuidVersion } from 'uuid';
import { assertGeneration, assertSafeId, assertTenantId, collectionName, isUuid, parseCollectionName, pointId, POINT_ID_NAMESPACE } from './ids.js';

describe('pointId', () => {
  it('is a UUIDv5 that is stable across calls (a retried upsert overwrites)', () => {
    const a = pointId('acme', 'doc-1', 1, 0);
    expect(a).toBe(pointId('acme', 'doc-1', 1, 0));
    expect(uuidValidate(a)).toBe(true);
    expect(uuidVersion(a)).toBe(5);
  });

  it('is pinned: the namespace and serialisation are a stored contract', () => {
    // If this changes, every existing point gets a new id and re-indexing duplicates chunks.
    // The expected value was cross-checked with Python's uuid.uuid5 over the same JSON text.
    expect(POINT_ID_NAMESPACE).toBe('16eaa472-1ff0-486b-bc72-7c4f68bf04eb');
    expect(pointId('acme', 'doc-1', 1, 0)).toBe('4dfe6964-a2aa-5354-87c5-f98d78abeba8');
  });

  it('differs when any one field differs', () => {
    const base = pointId('acme', 'doc-1', 1, 0);
    const variants = [pointId('acme2', 'doc-1', 1, 0), pointId('acme', 'doc-2', 1, 0), pointId('acme', 'doc-1', 2, 0), pointId('acme', 'doc-1', 1, 1)];
    for (const v of variants) expect(v).not.toBe(base);
    expect(new Set(variants).size).toBe(variants.length);
  });

  it('cannot be confused by separators inside a document id', () => {
    // A naive "a:b:c:d" join would make these two collide.
    expect(pointId('acme', 'doc:1', 2, 3)).not.toBe(pointId('acme', 'doc', 1, 23));
    expect(pointId('acme', 'doc","1', 2, 3)).not.toBe(pointId('acme', 'doc', 1, 23));
  });

  it('gives 10,000 distinct ids for 10,000 distinct chunks', () => {
    const ids = new Set<string>();
    for (let doc = 0; doc < 100; doc++) for (let c = 0; c < 100; c++) ids.add(pointId('t', `d${doc}`, 1, c));
    expect(ids.size).toBe(10_000);
  });

  it('rejects bad inputs', () => {
    expect(() => pointId('Bad Tenant', 'd', 1, 0)).toThrow(/tenant id/);
    expect(() => pointId('acme', '', 1, 0)).toThrow(/document id/);
    expect(() => pointId('acme', 'd', -1, 0)).toThrow(/version/);
    expect(() => pointId('acme', 'd', 1, 0.5)).toThrow(/chunk index/);
    expect(() => pointId('acme', 'd', Number.NaN, 0)).toThrow(/version/);
  });
});

describe('tenant ids and collection names', () => {
  it('accepts the documented alphabet', () => {
    for (const ok of ['a', '0', 'acme', 'acme-corp_2', 'a'.repeat(63)]) {
      expect(() => assertTenantId(ok)).not.toThrow();
    }
  });

  it('rejects everything else', () => {
    const bad = ['', 'A', 'Acme', '-acme', '_acme', 'a'.repeat(64), 'ac me', 'acme/..', '../x', 'a.b', "a'b", 'é', 'a\n'];
    for (const b of bad) expect(() => assertTenantId(b), b).toThrow(/invalid tenant id/);
    expect(() => assertTenantId(undefined as unknown as string)).toThrow(/invalid tenant id/);
  });

  it('names one collection per tenant and validates first', () => {
    expect(collectionName('acme')).toBe('tenant_acme_docs');
    expect(collectionName('acme-2')).toBe('tenant_acme-2_docs');
    expect(() => collectionName('ACME')).toThrow(/invalid tenant id/);
  });

  it('names generation 1 as before and later generations with a _g<n> suffix, validating the generation', () => {
    expect(collectionName('acme', 1)).toBe('tenant_acme_docs');
    expect(collectionName('acme', 2)).toBe('tenant_acme_docs_g2');
    expect(collectionName('acme', 137)).toBe('tenant_acme_docs_g137');
    for (const bad of [0, -1, 1.5, Number.NaN, Number.POSITIVE_INFINITY, 2 ** 53, '2' as unknown as number]) {
      expect(() => collectionName('acme', bad), String(bad)).toThrow(/invalid index generation/);
    }
    expect(() => assertGeneration(Number.MAX_SAFE_INTEGER)).not.toThrow();
  });

  it('maps every collection name back to the one tenant and generation that made it', () => {
    // Tenant ids may contain `_docs` and `_g<n>` themselves; names must still never collide.
    const tenants = ['acme', 'acme_docs', 'acme_docs_g2', 'x_docs_g2_docs', 'a', 'a-b_g3'];
    const seen = new Map<string, string>();
    for (const tenantId of tenants) {
      for (const generation of [1, 2, 3, 10]) {
        const name = collectionName(tenantId, generation);
        expect(parseCollectionName(name), name).toEqual({ tenantId, generation });
        expect(seen.get(name), name).toBeUndefined();
        seen.set(name, `${tenantId}/${generation}`);
      }
    }
    expect(parseCollectionName('tenant_acme_docs_g2')).toEqual({ tenantId: 'acme', generation: 2 });
    expect(parseCollectionName('tenant_acme_docs_g2_docs')).toEqual({ tenantId: 'acme_docs_g2', generation: 1 });
    for (const foreign of [
      'tenant_acme_docs_g1',
      'tenant_acme_docs_g02',
      'tenant_acme_docs_g',
      'tenant_acme_docs_g99999999999999999',
      'tenant_ACME_docs',
      'acme_docs',
      'tenant__docs',
      'other',
    ]) {
      expect(parseCollectionName(foreign), foreign).toBeNull();
    }
  });
});

describe('assertSafeId / isUuid', () => {
  it('accepts UUIDs and plain tokens', () => {
    expect(() => assertSafeId('document id', pointId('a', 'b', 1, 0))).not.toThrow();
    expect(() => assertSafeId('document id', 'doc_1-A')).not.toThrow();
  });

  it('rejects anything that could carry query syntax', () => {
    for (const bad of ["x' OR 1=1 --", 'a b', 'a"b', '', 'a;b', 'ä', 'x'.repeat(129)]) {
      expect(() => assertSafeId('document id', bad), bad).toThrow(/invalid document id/);
    }
  });

  it('recognises UUIDs only', () => {
    expect(isUuid('550e8400-e29b-41d4-a716-446655440000')).toBe(true);
    expect(isUuid('doc-1')).toBe(false);
  });
});
