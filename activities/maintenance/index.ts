/**
 * The maintenance activities run by the scheduled workflows in workflows/maintenance.ts:
 * settle runs that ended behind the catalog's back, reconcile catalog and vector store, and
 * apply retention. They run on the index pool, which already holds every store they need.
 */
import { Context } from '@temporalio/activity';
import type { MaintenanceActivities } from '../contracts.js';
import type { BlobStore } from '../../adapters/blob-store.js';
import type { Catalog } from '../../adapters/catalog.js';
import type { TenantSpaces } from '../../adapters/index-spaces.js';
import type { VectorStore } from '../../adapters/vector-store.js';
import { reconcileTenant } from './reconcile.js';
import { applyRetention, type RetentionPolicy } from './retention.js';
import type { RunInspector } from '../../adapters/run-inspector.js';
import { settleClosedBatches } from './settle-runs.js';

export interface MaintenanceDeps {
  catalog: Catalog;
  /** Routed by index space (adapters/index-spaces.ts). */
  vectors: VectorStore;
  blobs: BlobStore;
  spaces: TenantSpaces;
  runs: RunInspector;
  retention: RetentionPolicy;
  now?: () => number;
}

/** Heartbeats when running inside an activity; a no-op when called directly (tests, CLI). */
function heartbeat(): void {
  try {
    Context.current().heartbeat();
  } catch {
    // not in an activity context
  }
}

export function createMaintenanceActivities(deps: MaintenanceDeps): MaintenanceActivities {
  return {
    async listTenantIds() {
      return (await deps.catalog.listTenants()).map((t) => t.id);
    },
    settleClosedBatches: () => settleClosedBatches(deps, heartbeat),
    reconcileTenant: ({ tenantId }) => reconcileTenant(deps, tenantId, heartbeat),
    applyRetention: () => applyRetention(deps, deps.retention, (deps.now ?? Date.now)(), heartbeat),
    compactTenantVectors: ({ tenantId }) => deps.vectors.compact(tenantId),
  };
}
