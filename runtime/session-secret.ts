/**
 * The key that signs browser sessions. SESSION_SECRET wins (set it to the same value on every
 * API replica); otherwise the first start writes 32 random bytes to DATA_DIR/session-secret,
 * readable by the owner only, and later starts reuse it so sessions survive restarts.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';

/** File name inside DATA_DIR; documented so operators know what to back up or rotate. */
export const SESSION_SECRET_FILE = 'session-secret';

/** Returns the configured secret, or the one in DATA_DIR, creating it (mode 0600) if missing. */
export function loadSessionSecret(configured: string | undefined, dataDir: string): string {
  if (configured) return configured;
  const file = path.join(dataDir, SESSION_SECRET_FILE);
  mkdirSync(dataDir, { recursive: true });
  try {
    // 'wx' fails if the file exists, so two replicas starting at once cannot overwrite each other.
    writeFileSync(file, `${randomBytes(32).toString('base64url')}\n`, { mode: 0o600, flag: 'wx' });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  }
  const secret = readFileSync(file, 'utf8').trim();
  if (Buffer.byteLength(secret, 'utf8') < 32) throw new Error(`${file} holds fewer than 32 bytes; delete it to have a new secret generated`);
  return secret;
}
