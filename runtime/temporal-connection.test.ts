import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from './config.js';
import { temporalConnectionOptions } from './temporal-connection.js';

describe('how the app reaches Temporal', () => {
  it('uses plain gRPC by default', () => {
    expect(temporalConnectionOptions(loadConfig({ TEMPORAL_ADDRESS: 'temporal:7233' }))).toEqual({ address: 'temporal:7233' });
  });

  it('an API key turns TLS on and travels with every call', () => {
    const options = temporalConnectionOptions(loadConfig({ TEMPORAL_ADDRESS: 'ns.acct.tmprl.cloud:7233', TEMPORAL_API_KEY: 'secret-key' }));
    expect(options).toEqual({ address: 'ns.acct.tmprl.cloud:7233', tls: true, apiKey: 'secret-key' });
  });

  it('reads the CA, client certificate and key for mTLS, and the server name override', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'docflow-tls-'));
    for (const name of ['ca.pem', 'client.pem', 'client.key']) writeFileSync(path.join(dir, name), `-----${name}-----`);
    const options = temporalConnectionOptions(
      loadConfig({
        TEMPORAL_ADDRESS: 'temporal.internal:7233',
        TEMPORAL_TLS_CA: path.join(dir, 'ca.pem'),
        TEMPORAL_TLS_CERT: path.join(dir, 'client.pem'),
        TEMPORAL_TLS_KEY: path.join(dir, 'client.key'),
        TEMPORAL_TLS_SERVER_NAME: 'temporal',
      }),
    );
    expect(options.tls).toEqual({
      serverRootCACertificate: Buffer.from('-----ca.pem-----'),
      clientCertPair: { crt: Buffer.from('-----client.pem-----'), key: Buffer.from('-----client.key-----') },
      serverNameOverride: 'temporal',
    });
  });

  it('names the variable when a file cannot be read, and refuses a certificate without its key', () => {
    expect(() => temporalConnectionOptions(loadConfig({ TEMPORAL_ADDRESS: 'x:7233', TEMPORAL_TLS_CA: '/nonexistent/ca.pem' }))).toThrow(
      /TEMPORAL_TLS_CA: cannot read \/nonexistent\/ca.pem \(ENOENT\)/,
    );
    expect(() => loadConfig({ TEMPORAL_ADDRESS: 'x:7233', TEMPORAL_TLS_CERT: '/c.pem' })).toThrow(/TEMPORAL_TLS_CERT and TEMPORAL_TLS_KEY must be set together/);
  });
});
