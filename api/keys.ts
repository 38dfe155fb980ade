/**
 * API keys: random, shown once, stored only as a SHA-256 hash. A fast hash is right here
 * because keys carry 256 bits of entropy; there is nothing to brute-force.
 */
import { createHash, randomBytes } from 'node:crypto';

const KEY_PREFIX = 'dfk_';

/** A new key, its hash for storage, and a short prefix for listings. */
export function generateApiKey(): { key: string; hash: string; prefix: string } {
  const key = KEY_PREFIX + randomBytes(32).toString('base64url');
  return { key, hash: hashApiKey(key), prefix: key.slice(0, 12) };
}

export function hashApiKey(key: string): string {
  return createHash('sha256').update(key, 'utf8').digest('hex');
}
