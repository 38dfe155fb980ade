/** The one place that connects to Temporal, so address, namespace and TLS are decided once. */
import { Client, Connection } from '@temporalio/client';
import type { AppConfig } from './config.js';

/** Connects a Temporal client; the address must be known by now (started or configured). */
export async function connectTemporalClient(config: AppConfig): Promise<Client> {
  if (!config.temporal.address) throw new Error('TEMPORAL_ADDRESS is not set and no dev server was started');
  const connection = await Connection.connect({ address: config.temporal.address });
  return new Client({ connection, namespace: config.temporal.namespace });
}
