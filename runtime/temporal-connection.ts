/**
 * The one place that decides how to reach Temporal (address, namespace, TLS, API key), used by
 * the API's client, the workers' native connection and the maintenance client alike, so a
 * deployment on a secured cluster (mTLS, or Temporal Cloud's API keys) configures it once.
 */
import { readFileSync } from 'node:fs';
import { Client, Connection } from '@temporalio/client';
import type { AppConfig } from './config.js';

export interface TemporalConnectionOptions {
  address: string;
  tls?: { serverRootCACertificate?: Buffer; clientCertPair?: { crt: Buffer; key: Buffer }; serverNameOverride?: string } | boolean;
  apiKey?: string;
}

function readPem(file: string, variable: string): Buffer {
  try {
    return readFileSync(file);
  } catch (err) {
    throw new Error(`${variable}: cannot read ${file} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
}

/** Options for `Connection.connect` and `NativeConnection.connect`; reads the PEM files named in the config. */
export function temporalConnectionOptions(config: AppConfig): TemporalConnectionOptions {
  const { address, tls, apiKey } = config.temporal;
  if (!address) throw new Error('TEMPORAL_ADDRESS is not set and no dev server was started');
  const options: TemporalConnectionOptions = { address };
  if (tls) {
    const custom = {
      ...(tls.caFile ? { serverRootCACertificate: readPem(tls.caFile, 'TEMPORAL_TLS_CA') } : {}),
      ...(tls.certFile && tls.keyFile ? { clientCertPair: { crt: readPem(tls.certFile, 'TEMPORAL_TLS_CERT'), key: readPem(tls.keyFile, 'TEMPORAL_TLS_KEY') } } : {}),
      ...(tls.serverName ? { serverNameOverride: tls.serverName } : {}),
    };
    options.tls = Object.keys(custom).length > 0 ? custom : true;
  }
  if (apiKey) options.apiKey = apiKey;
  return options;
}

/** Connects a Temporal client; the address must be known by now (started or configured). */
export async function connectTemporalClient(config: AppConfig): Promise<Client> {
  const connection = await Connection.connect(temporalConnectionOptions(config));
  return new Client({ connection, namespace: config.temporal.namespace });
}
