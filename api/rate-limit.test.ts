import { describe, expect, it } from 'vitest';
import { createTokenBucketLimiter, type RateBucket } from './rate-limit.js';

describe('token bucket limiter', () => {
  it('allows a burst, then refuses with the wait until the next token', () => {
    const clock = { now: 0 };
    const limiter = createTokenBucketLimiter({ perMinute: 60, burst: 3 }, () => clock.now);
    expect([1, 2, 3].map(() => limiter.take('k').ok)).toEqual([true, true, true]);
    expect(limiter.take('k')).toEqual({ ok: false, retryAfterSeconds: 1 });
    clock.now += 1_000;
    expect(limiter.take('k').ok).toBe(true);
    expect(limiter.take('k').ok).toBe(false);
  });

  it('sustains the configured rate and rounds Retry-After up', () => {
    const clock = { now: 0 };
    const limiter = createTokenBucketLimiter({ perMinute: 6, burst: 1 }, () => clock.now);
    expect(limiter.take('k').ok).toBe(true);
    expect(limiter.take('k')).toEqual({ ok: false, retryAfterSeconds: 10 });
    clock.now += 2_500;
    expect(limiter.take('k')).toEqual({ ok: false, retryAfterSeconds: 8 });
    clock.now += 7_500;
    expect(limiter.take('k').ok).toBe(true);
  });

  it('keeps keys apart and forgets idle ones', () => {
    const clock = { now: 0 };
    const buckets = new Map<string, RateBucket>();
    const limiter = createTokenBucketLimiter({ perMinute: 60, burst: 1 }, () => clock.now, buckets);
    expect(limiter.take('a').ok).toBe(true);
    expect(limiter.take('b').ok).toBe(true);
    expect(limiter.take('a').ok).toBe(false);
    expect([...buckets.keys()]).toEqual(['a', 'b']);
    clock.now += 120_000;
    expect(limiter.take('c').ok).toBe(true);
    expect([...buckets.keys()]).toEqual(['c']);
  });
});
