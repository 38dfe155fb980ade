import { S3ServiceException } from '@aws-sdk/client-s3';
import { describe, expect, it } from 'vitest';
import { isMissingKey, storeErrorCode, toStoreError } from './s3-client.js';

/** An SDK service error as the client raises it. */
function serviceError(name: string, status: number, message = ''): S3ServiceException {
  return new S3ServiceException({ name, message, $fault: status >= 500 ? 'server' : 'client', $metadata: { httpStatusCode: status } });
}

describe('S3 error translation', () => {
  it('gives each error the operator must fix its reason code', () => {
    expect(storeErrorCode(serviceError('NoSuchBucket', 404))).toBe('store_bucket_missing');
    expect(storeErrorCode(serviceError('AccessDenied', 403))).toBe('store_access_denied');
    expect(storeErrorCode(serviceError('SignatureDoesNotMatch', 403))).toBe('store_access_denied');
    expect(storeErrorCode(serviceError('UnknownError', 403))).toBe('store_access_denied'); // a HEAD has no body
    expect(storeErrorCode(Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:9'), { code: 'ECONNREFUSED' }))).toBe('store_unreachable');
    expect(storeErrorCode(serviceError('InternalError', 500))).toBe('store_error');
  });

  it('tells a missing key from a missing bucket', () => {
    expect(isMissingKey(serviceError('NoSuchKey', 404))).toBe(true);
    expect(isMissingKey(serviceError('NotFound', 404))).toBe(true);
    expect(isMissingKey(serviceError('NoSuchBucket', 404))).toBe(false);
    expect(isMissingKey(serviceError('AccessDenied', 403))).toBe(false);
    expect(isMissingKey(new Error('socket hang up'))).toBe(false);
  });

  it('says what failed, where and what to do, and keeps the original as the cause', () => {
    const original = serviceError('UnknownError', 403, 'UnknownError');
    const error = toStoreError(original, 'HEAD bucket docs', 's3://docs/ at http://store:8333');
    expect(error.code).toBe('store_access_denied');
    expect(error.message).toBe(
      'store_access_denied: HEAD bucket docs on s3://docs/ at http://store:8333 failed: the store refused the credentials or the request: check S3_ACCESS_KEY_ID, S3_SECRET_ACCESS_KEY and the bucket policy (HTTP 403)',
    );
    expect(error.cause).toBe(original);
    expect(toStoreError(error, 'again', 'elsewhere')).toBe(error);
  });
});
