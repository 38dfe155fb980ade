/**
 * Per-credential rate limiting with token buckets held in this process's memory. Each API
 * replica counts on its own, so N replicas behind a load balancer admit up to N times the
 * configured rate; that is acceptable for a guard against runaway clients, and keeps the API
 * free of shared state. A session shares the bucket of the API key that opened it.
 */
import type { MiddlewareHandler } from 'hono';
import type { AuthVariables } from './auth.js';
import { ApiError } from './errors.js';

/** The rate a credential may sustain, and how many requests it may make at once after idling. */
export interface RateLimitOptions {
  perMinute: number;
  burst: number;
}

/** Defaults: 10 requests a second sustained, 100 at once (a UI page load plus an upload burst). */
export const DEFAULT_RATE_LIMIT: RateLimitOptions = { perMinute: 600, burst: 100 };

/** Outcome of one request against a bucket. */
export type TakeResult = { ok: true } | { ok: false; retryAfterSeconds: number };

/** Decides whether one more request from `key` may go ahead now. */
export interface RateLimiter {
  take(key: string): TakeResult;
}

/** One key's tokens; the limiter keeps them in the map it is given. */
export interface RateBucket {
  tokens: number;
  updatedAt: number;
}

const SWEEP_EVERY_MS = 60_000;

/**
 * A token-bucket limiter; `now` (ms) is injected so tests can move time, and the bucket map so
 * they can see what the idle sweep keeps.
 */
export function createTokenBucketLimiter(options: RateLimitOptions, now: () => number = Date.now, buckets: Map<string, RateBucket> = new Map()): RateLimiter {
  if (!(options.perMinute > 0) || !(options.burst >= 1)) throw new Error('rate limit needs perMinute > 0 and burst >= 1');
  const perMs = options.perMinute / 60_000;
  let lastSweep = now();

  const refill = (bucket: RateBucket, at: number) => Math.min(options.burst, bucket.tokens + Math.max(0, at - bucket.updatedAt) * perMs);

  // A bucket that has refilled completely behaves exactly like a missing one, so it can go.
  const sweep = (at: number) => {
    lastSweep = at;
    for (const [key, bucket] of buckets) if (refill(bucket, at) >= options.burst) buckets.delete(key);
  };

  return {
    take(key) {
      const at = now();
      if (at - lastSweep >= SWEEP_EVERY_MS) sweep(at);
      const bucket = buckets.get(key) ?? { tokens: options.burst, updatedAt: at };
      bucket.tokens = refill(bucket, at);
      bucket.updatedAt = at;
      buckets.set(key, bucket);
      if (bucket.tokens >= 1) {
        bucket.tokens -= 1;
        return { ok: true };
      }
      return { ok: false, retryAfterSeconds: Math.max(1, Math.ceil((1 - bucket.tokens) / perMs / 1000)) };
    },
  };
}

/** Middleware for authenticated routes: one token per request from the tenant+key bucket. */
export function rateLimit(limiter: RateLimiter): MiddlewareHandler<{ Variables: AuthVariables }> {
  return async (c, next) => {
    const result = limiter.take(`${c.get('tenantId')}:${c.get('keyHash')}`);
    if (!result.ok) {
      throw new ApiError(429, 'rate_limited', `Too many requests; retry in ${result.retryAfterSeconds} s.`, { 'Retry-After': String(result.retryAfterSeconds) });
    }
    await next();
  };
}
