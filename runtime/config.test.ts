import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from './config.js';
import { lanceDbLocation } from './stores.js';

const S3 = { S3_ENDPOINT: 'http://seaweedfs:8333', S3_BUCKET: 'docflow', S3_ACCESS_KEY_ID: 'AKIDEXAMPLE', S3_SECRET_ACCESS_KEY: 'not-a-real-secret' };

describe('object store configuration', () => {
  it('keeps files on the local disk unless S3_BUCKET is set', () => {
    expect(loadConfig({}).s3).toBeUndefined();
    expect(lanceDbLocation(loadConfig({ DATA_DIR: '/srv/docflow' }))).toEqual({ dir: path.join('/srv/docflow', 'vectors') });
  });

  it('reads the S3 settings, with path-style addressing by default for a custom endpoint', () => {
    expect(loadConfig(S3).s3).toEqual({
      endpoint: 'http://seaweedfs:8333',
      region: 'us-east-1',
      bucket: 'docflow',
      accessKeyId: 'AKIDEXAMPLE',
      secretAccessKey: 'not-a-real-secret',
      forcePathStyle: true,
      prefix: '',
    });
    // AWS S3 itself (no endpoint): virtual-hosted style, keys from the SDK's default chain.
    expect(loadConfig({ S3_BUCKET: 'docflow', S3_REGION: 'eu-west-1' }).s3).toMatchObject({
      endpoint: undefined,
      region: 'eu-west-1',
      forcePathStyle: false,
      accessKeyId: undefined,
    });
    expect(loadConfig({ ...S3, S3_FORCE_PATH_STYLE: 'false' }).s3?.forcePathStyle).toBe(false);
  });

  it('normalises the prefix to "<prefix>/" and refuses one that could leave it', () => {
    expect(loadConfig({ ...S3, S3_PREFIX: '/prod/docflow/' }).s3?.prefix).toBe('prod/docflow/');
    expect(() => loadConfig({ ...S3, S3_PREFIX: 'a/../b' })).toThrow(/S3_PREFIX/);
    expect(() => loadConfig({ ...S3, S3_PREFIX: 'a b' })).toThrow(/S3_PREFIX/);
  });

  it('refuses half a configuration instead of silently ignoring it', () => {
    expect(() => loadConfig({ S3_ENDPOINT: 'http://seaweedfs:8333' })).toThrow(/S3_ENDPOINT set without S3_BUCKET/);
    expect(() => loadConfig({ ...S3, S3_SECRET_ACCESS_KEY: '' })).toThrow(/S3_ACCESS_KEY_ID and S3_SECRET_ACCESS_KEY must be set together/);
    expect(() => loadConfig({ ...S3, S3_BUCKET: 'Not_A_Bucket' })).toThrow(/S3_BUCKET/);
    expect(() => loadConfig({ ...S3, S3_ENDPOINT: 'seaweedfs:8333' })).toThrow(/S3_ENDPOINT/);
    // A stored upload is one server-side copy, which S3 limits to 5 GiB.
    expect(() => loadConfig({ ...S3, MAX_FILE_BYTES: String(6 * 1024 ** 3) })).toThrow(/MAX_FILE_BYTES may be at most/);
  });

  it('puts LanceDB in the same bucket, with the same endpoint and keys, under <prefix>vectors', () => {
    expect(lanceDbLocation(loadConfig({ ...S3, S3_PREFIX: 'prod' }))).toEqual({
      objectStore: {
        uri: 's3://docflow/prod/vectors',
        storageOptions: {
          region: 'us-east-1',
          endpoint: 'http://seaweedfs:8333',
          allow_http: 'true',
          virtual_hosted_style_request: 'false',
          aws_access_key_id: 'AKIDEXAMPLE',
          aws_secret_access_key: 'not-a-real-secret',
        },
      },
    });
  });
});

describe('SPREADSHEET_HIDDEN_SHEETS', () => {
  it('skips hidden sheets unless told to mark them, and refuses anything else', () => {
    expect(loadConfig({}).spreadsheets.hiddenSheets).toBe('skip');
    expect(loadConfig({ SPREADSHEET_HIDDEN_SHEETS: ' Mark ' }).spreadsheets.hiddenSheets).toBe('mark');
    expect(() => loadConfig({ SPREADSHEET_HIDDEN_SHEETS: 'index' })).toThrow(/SPREADSHEET_HIDDEN_SHEETS/);
  });
});
