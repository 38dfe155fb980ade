import { describe, expect, it } from 'vitest';
import { createSessionCodec } from './sessions.js';

const SECRET = 'a-secret-that-is-long-enough-for-hmac!!';
const KEY_HASH = 'a'.repeat(64);

function codec(at = { now: 1_700_000_000_000 }, secret = SECRET) {
  return createSessionCodec({ secret, ttlSeconds: 3600, now: () => at.now });
}

describe('session tokens', () => {
  it('round-trips tenant, key hash and expiry', () => {
    const sessions = codec();
    const { token, session } = sessions.issue('alpha', KEY_HASH);
    expect(token).toMatch(/^v1\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]{43}$/);
    expect(session).toMatchObject({ tenantId: 'alpha', keyHash: KEY_HASH, expiresAt: 1_700_000_000_000 + 3_600_000 });
    expect(sessions.verify(token)).toEqual({ ok: true, session });
  });

  it('refuses tampered claims, signatures, other secrets and junk', () => {
    const sessions = codec();
    const { token } = sessions.issue('alpha', KEY_HASH);
    const [v, payload, signature] = token.split('.');
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString());
    const forged = Buffer.from(JSON.stringify({ ...claims, t: 'beta' })).toString('base64url');
    const flipped = signature.slice(0, -2) + (signature.at(-2) === 'A' ? 'B' : 'A') + signature.at(-1);
    for (const bad of [
      `${v}.${forged}.${signature}`,
      `${v}.${payload}.${flipped}`,
      `v2.${payload}.${signature}`,
      `${v}.${payload}`,
      '',
      'x'.repeat(5000),
      codec(undefined, `${SECRET}-other`).issue('alpha', KEY_HASH).token,
    ]) {
      expect(sessions.verify(bad)).toEqual({ ok: false, reason: 'invalid' });
    }
  });

  it('expires at the configured time', () => {
    const clock = { now: 1_700_000_000_000 };
    const sessions = codec(clock);
    const { token } = sessions.issue('alpha', KEY_HASH);
    clock.now += 3_599_000;
    expect(sessions.verify(token).ok).toBe(true);
    clock.now += 1_000;
    expect(sessions.verify(token)).toEqual({ ok: false, reason: 'expired' });
  });

  it('derives a per-session CSRF token that only matches its own session', () => {
    const sessions = codec();
    const a = sessions.issue('alpha', KEY_HASH).session;
    const b = sessions.issue('alpha', KEY_HASH).session;
    const tokenA = sessions.csrfToken(a);
    expect(tokenA).not.toBe(a.csrfSecret);
    expect(sessions.checkCsrf(a, tokenA)).toBe(true);
    expect(sessions.checkCsrf(b, tokenA)).toBe(false);
    expect(sessions.checkCsrf(a, undefined)).toBe(false);
    expect(sessions.checkCsrf(a, '')).toBe(false);
    expect(sessions.checkCsrf(a, `${tokenA}x`)).toBe(false);
  });

  it('refuses a short secret and a bad lifetime', () => {
    expect(() => createSessionCodec({ secret: 'short', ttlSeconds: 60 })).toThrow(/32 bytes/);
    expect(() => createSessionCodec({ secret: SECRET, ttlSeconds: 0 })).toThrow(/lifetime/);
  });
});
