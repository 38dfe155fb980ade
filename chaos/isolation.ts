/**
 * "No cross-tenant read", checked after every fault scenario through the real API and the real
 * vector store: a second tenant asks for the scenario's batches, documents, event streams and
 * search hits by id and must get nothing (404, empty lists, no hits); the owner must get nothing
 * of the second tenant's; and each tenant's collection holds only points of its own documents.
 */
import type { Catalog } from '../adapters/catalog.js';
import type { VectorStore } from '../adapters/vector-store.js';
import type { BatchListResponse, DocumentListResponse, SearchResponse } from '../core/contracts.js';

/** A tenant and one of its API keys. */
export interface TenantKey {
  tenantId: string;
  apiKey: string;
}

/** What the isolation check looks at. */
export interface IsolationInput {
  baseUrl: string;
  /** The tenant the scenario ran as, and the ids it created. */
  owner: TenantKey & { batchIds: string[]; documentIds: string[]; searchText: string };
  /** A second tenant with indexed documents of its own. */
  other: TenantKey & { batchIds: string[]; documentIds: string[] };
  catalog: Catalog;
  vectors: VectorStore;
}

/** How many reads were tried across tenants, and each one that returned something it must not. */
export interface IsolationReport {
  attempts: number;
  problems: string[];
}

/** Documents probed by id per scenario: enough to catch a missing tenant check, few enough to stay quick. */
const SAMPLE = 20;

function sample<T>(items: T[], count: number): T[] {
  if (items.length <= count) return items;
  const step = items.length / count;
  return Array.from({ length: count }, (_, i) => items[Math.floor(i * step)]);
}

async function call(baseUrl: string, key: TenantKey, method: string, path: string, body?: unknown): Promise<{ status: number; text: string }> {
  const headers: Record<string, string> = { authorization: `Bearer ${key.apiKey}` };
  if (body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(`${baseUrl}${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body), signal: AbortSignal.timeout(30_000) });
  // An event stream of someone else's batch must not even open: read only the start of a 200.
  const text = res.headers.get('content-type')?.startsWith('text/event-stream') ? '(event stream opened)' : await res.text();
  if (res.body && !res.bodyUsed) await res.body.cancel();
  return { status: res.status, text };
}

/** Runs every cross-tenant probe; never throws for a leak, it reports it. */
export async function checkIsolation(input: IsolationInput): Promise<IsolationReport> {
  const report: IsolationReport = { attempts: 0, problems: [] };
  const { baseUrl, owner, other } = input;

  // By id, in both directions: anything but 404 is a leak (or a missing tenant check).
  const byId = async (reader: TenantKey, victim: string, paths: string[]) => {
    for (const path of paths) {
      report.attempts++;
      const answer = await call(baseUrl, reader, 'GET', path);
      if (answer.status !== 404) report.problems.push(`${reader.tenantId} read ${victim}'s ${path}: ${answer.status} ${answer.text.slice(0, 120)}`);
    }
  };
  const paths = (batchIds: string[], documentIds: string[]) => [
    ...sample(batchIds, SAMPLE).flatMap((id) => [`/api/batches/${id}`, `/api/batches/${id}/events`]),
    ...sample(documentIds, SAMPLE).map((id) => `/api/documents/${id}`),
  ];
  await byId(other, owner.tenantId, paths(owner.batchIds, owner.documentIds));
  await byId(owner, other.tenantId, paths(other.batchIds, other.documentIds));

  // The second tenant's own listings, every page: none of the owner's ids may appear.
  const ownerIds = new Set([...owner.batchIds, ...owner.documentIds]);
  for (const [route, field, idField] of [
    ['/api/batches', 'batches', 'batchId'],
    ['/api/documents', 'documents', 'documentId'],
  ] as const) {
    for (let cursor: string | null = '0'; cursor !== null;) {
      report.attempts++;
      const answer = await call(baseUrl, other, 'GET', `${route}?limit=100&cursor=${cursor}`);
      if (answer.status !== 200) {
        report.problems.push(`${other.tenantId} could not list ${route}: ${answer.status}`);
        break;
      }
      const page = JSON.parse(answer.text) as BatchListResponse & DocumentListResponse;
      for (const item of page[field] as unknown as Record<string, string>[]) {
        if (ownerIds.has(item[idField])) report.problems.push(`${other.tenantId} lists ${owner.tenantId}'s ${item[idField]} in ${route}`);
      }
      cursor = page.nextCursor;
    }
  }

  // Search: the owner's own words, and the owner's ids as filters, must find nothing of the owner's.
  for (const filter of [{}, { documentIds: sample(owner.documentIds, 100) }, { batchIds: sample(owner.batchIds, 100) }]) {
    report.attempts++;
    const answer = await call(baseUrl, other, 'POST', '/api/search', { query: owner.searchText, limit: 50, ...filter });
    if (answer.status !== 200) {
      report.problems.push(`${other.tenantId} search answered ${answer.status}: ${answer.text.slice(0, 120)}`);
      continue;
    }
    for (const hit of (JSON.parse(answer.text) as SearchResponse).results) {
      if (!other.documentIds.includes(hit.documentId)) report.problems.push(`${other.tenantId} search returned ${hit.documentId} (${hit.filename}), not its own`);
    }
  }

  // The stores: every point in a tenant's collection is one of that tenant's documents.
  for (const tenant of [owner, other]) {
    report.attempts++;
    const known = new Map<string, boolean>();
    for (const ref of await input.vectors.listPointRefs(tenant.tenantId)) {
      if (!known.has(ref.documentId)) known.set(ref.documentId, (await input.catalog.getDocument(tenant.tenantId, ref.documentId)) !== null);
      if (!known.get(ref.documentId)) report.problems.push(`${tenant.tenantId}'s collection holds point ${ref.id} of document ${ref.documentId}, not its own`);
    }
  }
  return report;
}
