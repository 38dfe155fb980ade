/**
 * The S3 client docflow talks to object stores with, and the translation of the SDK's errors
 * into docflow's reason codes. One place decides retries: the SDK's standard retry strategy
 * (exponential backoff with jitter) retries what is transient (5xx, throttling, timeouts,
 * dropped connections); what the operator must fix (missing bucket, refused credentials)
 * is never retried and surfaces as a BlobStoreError with its code.
 */
import { S3Client, S3ServiceException } from '@aws-sdk/client-s3';
import { BlobStoreError, type BlobStoreErrorCode } from './blob-store.js';

/** How to reach the store; credentials are secrets and never logged (core/logger.ts redacts them). */
export interface S3Settings {
  /** Unset means AWS S3 itself; any S3-compatible server otherwise (SeaweedFS, MinIO, Ceph, R2...). */
  endpoint: string | undefined;
  region: string;
  bucket: string;
  /** Both or neither; neither uses the SDK's default chain (AWS_* variables, instance roles). */
  accessKeyId: string | undefined;
  secretAccessKey: string | undefined;
  /** `http://host/bucket/key` instead of `http://bucket.host/key`; most self-hosted stores need it. */
  forcePathStyle: boolean;
  /** Every key docflow writes starts with this ('' or ending in '/'), so a bucket can be shared. */
  prefix: string;
}

/** Attempts per request, the first included; the SDK waits with jittered backoff in between. */
const MAX_ATTEMPTS = 5;
// A store that does not accept a connection within this is treated as down (and retried).
const CONNECT_TIMEOUT_MS = 5_000;
// Idle time allowed on an open connection; large transfers keep moving, so they never hit it.
const SOCKET_IDLE_TIMEOUT_MS = 60_000;

/** Builds the SDK client from settings; the API and both worker pools make theirs here. */
export function createS3Client(settings: S3Settings): S3Client {
  // On Node 20 the SDK prints a one-off plain-text notice that releases after January 2027 need
  // Node 22. The SDK is pinned (README, dependency notes); the notice would only break JSON logs.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  return new S3Client({
    endpoint: settings.endpoint,
    region: settings.region,
    forcePathStyle: settings.forcePathStyle,
    credentials: settings.accessKeyId && settings.secretAccessKey ? { accessKeyId: settings.accessKeyId, secretAccessKey: settings.secretAccessKey } : undefined,
    maxAttempts: MAX_ATTEMPTS,
    retryMode: 'standard',
    requestHandler: { connectionTimeout: CONNECT_TIMEOUT_MS, socketTimeout: SOCKET_IDLE_TIMEOUT_MS },
    // Checksums only where the S3 API requires them: several S3-compatible stores reject the
    // newer flexible-checksum headers the SDK would otherwise add to every request.
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
}

/** Where the store is, for messages: endpoint and bucket, never a credential. */
export function describeStore(settings: Pick<S3Settings, 'endpoint' | 'bucket' | 'prefix'>): string {
  const where = settings.endpoint ?? 'AWS S3';
  return `s3://${settings.bucket}/${settings.prefix} at ${where}`;
}

function httpStatus(err: unknown): number | undefined {
  return (err as { $metadata?: { httpStatusCode?: number } } | undefined)?.$metadata?.httpStatusCode;
}

/** True for "this key does not exist" (not for a missing bucket, which is an error). */
export function isMissingKey(err: unknown): boolean {
  if (!(err instanceof S3ServiceException)) return false;
  if (err.name === 'NoSuchBucket') return false;
  return err.name === 'NoSuchKey' || err.name === 'NotFound' || httpStatus(err) === 404;
}

const ACCESS_DENIED = new Set(['AccessDenied', 'Forbidden', 'InvalidAccessKeyId', 'SignatureDoesNotMatch', 'InvalidToken', 'ExpiredToken', 'AllAccessDisabled']);
const UNREACHABLE = new Set(['ECONNREFUSED', 'ECONNRESET', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'ETIMEDOUT', 'EPIPE']);

/** The reason code of a store error; `store_error` when it is none of the known operator errors. */
export function storeErrorCode(err: unknown): BlobStoreErrorCode {
  const name = (err as { name?: string } | undefined)?.name ?? '';
  const code = (err as { code?: string } | undefined)?.code ?? '';
  const status = httpStatus(err);
  if (name === 'NoSuchBucket') return 'store_bucket_missing';
  if (ACCESS_DENIED.has(name) || status === 401 || status === 403) return 'store_access_denied';
  if (UNREACHABLE.has(code) || name === 'TimeoutError' || (err instanceof AggregateError && err.errors.some((e) => UNREACHABLE.has((e as { code?: string }).code ?? '')))) {
    return 'store_unreachable';
  }
  return 'store_error';
}

const HINTS: Record<BlobStoreErrorCode, string> = {
  store_bucket_missing: 'the bucket does not exist: create it, or fix S3_BUCKET',
  store_access_denied: 'the store refused the credentials or the request: check S3_ACCESS_KEY_ID, S3_SECRET_ACCESS_KEY and the bucket policy',
  store_unreachable: 'the store does not answer: check S3_ENDPOINT and that the store is running',
  store_error: 'the store answered with an error',
};

/**
 * Wraps an SDK error in a BlobStoreError saying what failed, where, and what to do. The SDK's
 * own message is kept (it never holds a credential); the original error stays as `cause`.
 */
export function toStoreError(err: unknown, action: string, where: string): BlobStoreError {
  if (err instanceof BlobStoreError) return err;
  const code = storeErrorCode(err);
  const status = httpStatus(err);
  // HEAD answers carry no body, so the SDK can only say "UnknownError": the status says more.
  const message = err instanceof Error && err.message && err.message !== 'UnknownError' ? err.message : undefined;
  const detail = message ?? (status ? `HTTP ${status}` : ((err as { name?: string } | undefined)?.name ?? String(err)));
  return new BlobStoreError(code, `${action} on ${where} failed: ${HINTS[code]} (${detail})`, { cause: err });
}
