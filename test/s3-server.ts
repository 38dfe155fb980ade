/**
 * A real S3 server for the integration tests that need one: SeaweedFS, built on first use
 * (scripts/services/build-seaweedfs.sh, cached under .tools/) and started per test file on free
 * ports, so the unit project and the suites that do not need it never pay for it.
 */
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { ListMultipartUploadsCommand, ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import { createS3Client, type S3Settings } from '../adapters/s3-client.js';
import { createBucket, ensureSeaweedfs, s3Settings, startSeaweedfs, type SeaweedfsServer } from '../scripts/services/seaweedfs.js';
import { testEnv } from './env.js';

/** A started SeaweedFS plus what tests do with it. */
export interface TestS3 {
  server: SeaweedfsServer;
  /** Creates a bucket and returns docflow's settings for it (the app identity, not the admin). */
  newBucket(prefix?: string): Promise<S3Settings>;
  /** An admin client, for looking at the store behind docflow's back. */
  admin: S3Client;
  /** Every object key under a bucket's prefix. */
  keys(settings: S3Settings, under?: string): Promise<string[]>;
  /** Multipart uploads in progress under a bucket's prefix. */
  multipartUploads(settings: S3Settings): Promise<number>;
  stop(): Promise<void>;
}

const log = (message: string): void => console.log(`[s3 test server] ${message}`);

/** Starts a SeaweedFS for one test file; its data dir sits in the run's test data dir under `name`. */
export async function startTestS3(name: string): Promise<TestS3> {
  const weedBin = await ensureSeaweedfs({ log });
  const dataDir = path.join(testEnv().TEST_DATA_DIR, `seaweedfs-${name}-${randomBytes(3).toString('hex')}`);
  const server = await startSeaweedfs({ weedBin, dataDir, log });
  const admin = createS3Client(s3Settings(server.endpoint, server.admin, 'unused'));
  return {
    server,
    admin,
    async newBucket(prefix = '') {
      const bucket = `docflow-${randomBytes(4).toString('hex')}`;
      await createBucket(server, bucket);
      return s3Settings(server.endpoint, server.app, bucket, prefix);
    },
    async keys(settings, under = '') {
      const keys: string[] = [];
      let token: string | undefined;
      do {
        const page = await admin.send(new ListObjectsV2Command({ Bucket: settings.bucket, Prefix: settings.prefix + under, ContinuationToken: token }));
        for (const item of page.Contents ?? []) if (item.Key) keys.push(item.Key);
        token = page.IsTruncated ? page.NextContinuationToken : undefined;
      } while (token);
      return keys.sort();
    },
    async multipartUploads(settings) {
      const page = await admin.send(new ListMultipartUploadsCommand({ Bucket: settings.bucket, Prefix: settings.prefix || undefined }));
      return page.Uploads?.length ?? 0;
    },
    async stop() {
      admin.destroy();
      await server.stop();
    },
  };
}
