import { describe, expect, it } from 'vitest';
import { loginPath, safeNext } from './login-path.js';

const at = (path: string) => new URL(path, 'http://app.local');

describe('sign-in paths', () => {
  it('remembers where the person was going', () => {
    expect(loginPath(at('/'))).toBe('/login');
    expect(loginPath(at('/batches/abc?x=1'))).toBe('/login?next=%2Fbatches%2Fabc%3Fx%3D1');
    expect(safeNext(at(loginPath(at('/batches/abc?x=1'))))).toBe('/batches/abc?x=1');
  });

  it('never sends the person to another site', () => {
    for (const next of ['https://evil.example', '//evil.example', '/\\evil.example', 'javascript:alert(1)']) {
      expect(safeNext(at(`/login?next=${encodeURIComponent(next)}`))).toBe('/');
    }
    expect(safeNext(at('/login'))).toBe('/');
  });
});
