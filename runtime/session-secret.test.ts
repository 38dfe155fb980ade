import { mkdtempSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadSessionSecret, SESSION_SECRET_FILE } from './session-secret.js';

describe('loadSessionSecret', () => {
  it('creates an owner-only secret once and reuses it', () => {
    const dir = path.join(mkdtempSync(path.join(os.tmpdir(), 'secret-')), 'data');
    const first = loadSessionSecret(undefined, dir);
    expect(first.length).toBeGreaterThanOrEqual(32);
    expect(statSync(path.join(dir, SESSION_SECRET_FILE)).mode & 0o777).toBe(0o600);
    expect(loadSessionSecret(undefined, dir)).toBe(first);
  });

  it('prefers the configured secret and refuses a truncated file', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'secret-'));
    expect(loadSessionSecret('x'.repeat(40), dir)).toBe('x'.repeat(40));
    writeFileSync(path.join(dir, SESSION_SECRET_FILE), 'short\n');
    expect(() => loadSessionSecret(undefined, dir)).toThrow(/fewer than 32 bytes/);
  });
});
