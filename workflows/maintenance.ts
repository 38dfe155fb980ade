/**
 * Scheduled maintenance, started by the Temporal Schedules that `worker/schedules.ts` creates:
 * reconciliation (settle ended runs, then catalog versus vector store per tenant) and
 * retention clean-up. One activity per tenant keeps each step short and the history small
 * (three events per tenant); a failed tenant is reported and the others still run.
 */
import { ApplicationFailure, proxyActivities, log } from '@temporalio/workflow';
import type { MaintenanceActivities } from '../activities/contracts.js';

const maintenance = proxyActivities<MaintenanceActivities>({
  startToCloseTimeout: '1 hour',
  // Activities heartbeat as they page through documents; a dead worker is noticed in a minute.
  heartbeatTimeout: '1 minute',
  retry: { initialInterval: '10 seconds', maximumAttempts: 3 },
});

export interface ReconcileSummary {
  batchesChecked: number;
  batchesSettled: number;
  tenants: number;
  orphanPointsRemoved: number;
  stalePointsRemoved: number;
  documentsRepaired: number;
  pointsRestored: number;
  documentsMarkedFailed: number;
  tenantsFailed: string[];
}

export async function reconcileIndex(): Promise<ReconcileSummary> {
  const sweep = await maintenance.settleClosedBatches();
  const summary: ReconcileSummary = {
    batchesChecked: sweep.checked,
    batchesSettled: sweep.settled,
    tenants: 0,
    orphanPointsRemoved: 0,
    stalePointsRemoved: 0,
    documentsRepaired: 0,
    pointsRestored: 0,
    documentsMarkedFailed: 0,
    tenantsFailed: [],
  };
  for (const tenantId of await maintenance.listTenantIds()) {
    summary.tenants++;
    try {
      const report = await maintenance.reconcileTenant({ tenantId });
      summary.orphanPointsRemoved += report.orphanPointsRemoved;
      summary.stalePointsRemoved += report.stalePointsRemoved;
      summary.documentsRepaired += report.documentsRepaired;
      summary.pointsRestored += report.pointsRestored;
      summary.documentsMarkedFailed += report.documentsMarkedFailed.length;
    } catch (err) {
      log.warn('reconciliation of a tenant failed', { tenantId, error: String(err) });
      summary.tenantsFailed.push(tenantId);
    }
  }
  if (summary.tenantsFailed.length > 0) {
    // Failing the run makes it visible in the Web UI's failed list; the next schedule tries again.
    throw ApplicationFailure.nonRetryable(
      `reconciliation failed for ${summary.tenantsFailed.length} tenant(s): ${summary.tenantsFailed.join(', ')}`,
      'ReconcileIncomplete',
      summary,
    );
  }
  return summary;
}

export interface RetentionSummary {
  documentsChecked: number;
  artifactsRemoved: number;
  uploadsRemoved: number;
  /** What compaction did, per tenant. */
  compaction: Record<string, string>;
}

export async function cleanUpRetention(): Promise<RetentionSummary> {
  const report = await maintenance.applyRetention();
  const compaction: Record<string, string> = {};
  for (const tenantId of await maintenance.listTenantIds()) {
    compaction[tenantId] = await maintenance.compactTenantVectors({ tenantId });
  }
  return { ...report, compaction };
}
