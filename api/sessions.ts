/**
 * Stateless browser sessions. The cookie value is `v1.<claims>.<signature>`: base64url JSON
 * claims (tenant, API key hash, expiry, CSRF secret) and an HMAC-SHA256 over them. Any API
 * replica holding the secret can check a session without shared storage; revoking the key that
 * opened a session ends it, because the auth middleware re-checks the key hash on every request.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';
import { TENANT_ID_PATTERN } from '../core/ids.js';

const VERSION = 'v1';
/** Far above a real token (~250 chars): refuse oversized input before any crypto or parsing. */
const MAX_TOKEN_LENGTH = 1024;
const TOKEN = /^v1\.([A-Za-z0-9_-]{1,900})\.([A-Za-z0-9_-]{43})$/;
const B64URL_32 = /^[A-Za-z0-9_-]{43}$/;

const ClaimsSchema = z.strictObject({
  t: z.string().regex(TENANT_ID_PATTERN),
  k: z.string().regex(/^[0-9a-f]{64}$/),
  e: z.number().int().positive(),
  c: z.string().regex(B64URL_32),
});

/** A verified session: who it belongs to, which key opened it, until when. */
export interface SessionClaims {
  tenantId: string;
  /** SHA-256 of the API key that opened the session, re-checked against the catalog per request. */
  keyHash: string;
  /** Milliseconds since epoch. */
  expiresAt: number;
  csrfSecret: string;
}

/** Why a token was refused; `expired` lets the UI say "sign in again" instead of "invalid". */
export type VerifyResult = { ok: true; session: SessionClaims } | { ok: false; reason: 'invalid' | 'expired' };

/** Issues and checks session tokens and their CSRF tokens; one per app, built from the secret. */
export interface SessionCodec {
  readonly ttlSeconds: number;
  issue(tenantId: string, keyHash: string): { token: string; session: SessionClaims };
  verify(token: string): VerifyResult;
  csrfToken(session: SessionClaims): string;
  checkCsrf(session: SessionClaims, presented: string | undefined): boolean;
}

/** How sessions are signed and how long they last. */
export interface SessionCodecOptions {
  /** At least 32 bytes of secret material (the bytes of a string secret count). */
  secret: Uint8Array | string;
  ttlSeconds: number;
  /** Milliseconds since epoch; injected so tests can expire sessions without waiting. */
  now?: () => number;
}

/** Default session lifetime: a working day, so a forgotten browser tab does not stay signed in for long. */
export const DEFAULT_SESSION_TTL_SECONDS = 12 * 60 * 60;

/** Builds the codec; throws on a short secret, which would make signatures guessable. */
export function createSessionCodec(options: SessionCodecOptions): SessionCodec {
  const secret = typeof options.secret === 'string' ? Buffer.from(options.secret, 'utf8') : Buffer.from(options.secret);
  if (secret.length < 32) throw new Error('the session secret must be at least 32 bytes');
  if (!Number.isSafeInteger(options.ttlSeconds) || options.ttlSeconds <= 0) throw new Error('the session lifetime must be a positive number of seconds');
  const now = options.now ?? Date.now;
  // Separate keys per purpose, so a CSRF token can never double as a token signature.
  const signKey = createHmac('sha256', secret).update('docflow session token v1').digest();
  const csrfKey = createHmac('sha256', secret).update('docflow csrf token v1').digest();
  const sign = (payload: string) => createHmac('sha256', signKey).update(`${VERSION}.${payload}`).digest('base64url');
  // Compared as text so only the canonical encoding of a signature is accepted.
  const sameText = (a: string, b: string) => a.length === b.length && timingSafeEqual(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
  const csrfFor = (csrfSecret: string) => createHmac('sha256', csrfKey).update(csrfSecret).digest('base64url');

  return {
    ttlSeconds: options.ttlSeconds,
    issue(tenantId, keyHash) {
      const claims = { t: tenantId, k: keyHash, e: Math.floor(now() / 1000) + options.ttlSeconds, c: randomBytes(32).toString('base64url') };
      ClaimsSchema.parse(claims);
      const payload = Buffer.from(JSON.stringify(claims), 'utf8').toString('base64url');
      const token = `${VERSION}.${payload}.${sign(payload)}`;
      return { token, session: { tenantId, keyHash, expiresAt: claims.e * 1000, csrfSecret: claims.c } };
    },
    verify(token) {
      if (token.length > MAX_TOKEN_LENGTH) return { ok: false, reason: 'invalid' };
      const match = TOKEN.exec(token);
      if (!match) return { ok: false, reason: 'invalid' };
      const [, payload, signature] = match;
      if (!sameText(signature, sign(payload))) return { ok: false, reason: 'invalid' };
      let raw: unknown;
      try {
        raw = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
      } catch {
        return { ok: false, reason: 'invalid' };
      }
      const claims = ClaimsSchema.safeParse(raw);
      if (!claims.success) return { ok: false, reason: 'invalid' };
      const expiresAt = claims.data.e * 1000;
      if (expiresAt <= now()) return { ok: false, reason: 'expired' };
      return { ok: true, session: { tenantId: claims.data.t, keyHash: claims.data.k, expiresAt, csrfSecret: claims.data.c } };
    },
    csrfToken(session) {
      return csrfFor(session.csrfSecret);
    },
    checkCsrf(session, presented) {
      if (presented === undefined || !B64URL_32.test(presented)) return false;
      return sameText(presented, csrfFor(session.csrfSecret));
    },
  };
}
