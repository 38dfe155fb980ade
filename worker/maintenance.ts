/**
 * Wires the maintenance side of an index worker: the activities the scheduled workflows call,
 * and (unless SCHEDULES=false) the Temporal Schedules themselves, created or updated at start.
 */
import type { MaintenanceActivities } from '../activities/contracts.js';
import { createTemporalRunInspector } from '../adapters/temporal-runs.js';
import { createMaintenanceActivities } from '../activities/maintenance/index.js';
import type { AppConfig } from '../runtime/config.js';
import type { Stores } from '../runtime/stores.js';
import { connectTemporalClient } from '../runtime/temporal-connection.js';
import { ensureSchedules } from './schedules.js';

export interface Maintenance {
  activities: MaintenanceActivities;
  scheduleIds: string[];
  close(): Promise<void>;
}

export async function setUpMaintenance(config: AppConfig, stores: Stores): Promise<Maintenance> {
  // A client connection of its own: the worker's NativeConnection cannot serve client calls.
  const client = await connectTemporalClient(config);
  const connection = client.connection;
  const activities = createMaintenanceActivities({
    catalog: stores.catalog,
    vectors: stores.vectors,
    blobs: stores.blobs,
    spaces: stores.spaces,
    runs: createTemporalRunInspector(client),
    retention: config.maintenance.retention,
  });
  const scheduleIds = config.maintenance.schedules
    ? await ensureSchedules(client, {
        taskQueue: config.temporal.queues.index,
        idPrefix: config.maintenance.scheduleIdPrefix,
        reconcileEvery: config.maintenance.reconcileEvery,
        retentionEvery: config.maintenance.retentionEvery,
      })
    : [];
  return { activities, scheduleIds, close: () => connection.close() };
}
