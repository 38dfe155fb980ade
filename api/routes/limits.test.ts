import { describe, expect, it } from 'vitest';
import { detectFormat } from '../../activities/parsers/detect.js';
import { DOC_FORMATS } from '../../core/formats.js';
import { createTestApp } from '../test-app.js';
import { ACCEPTED_TYPES } from '../../core/formats.js';

describe('GET /api/limits', () => {
  it('reports the configured limits and every accepted format', async () => {
    const { app, keys } = await createTestApp({ limits: { maxFileBytes: 10, maxRequestBytes: 20, maxFilesPerBatch: 3, maxTextFileBytes: 5 } });
    const res = await app.request('/api/limits', { headers: { authorization: `Bearer ${keys.alpha}` } });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { maxFileBytes: number; acceptedTypes: { format: string; extensions: string[]; mimeTypes: string[] }[] };
    expect(body).toMatchObject({ maxFileBytes: 10, maxRequestBytes: 20, maxFilesPerBatch: 3, maxTextFileBytes: 5 });
    expect(body.acceptedTypes.map((t) => t.format)).toEqual([...DOC_FORMATS]);
    expect(body.acceptedTypes.find((t) => t.format === 'md')).toEqual({ format: 'md', extensions: ['.md', '.markdown'], mimeTypes: ['text/markdown'] });
  });

  it('says where the Temporal Web UI shows the runs, or null when not configured', async () => {
    const temporalUi = { baseUrl: 'http://temporal-ui.example:8233', namespace: 'docs' };
    const { app, keys } = await createTestApp({ temporalUi });
    const headers = { authorization: `Bearer ${keys.alpha}` };
    expect(await (await app.request('/api/limits', { headers })).json()).toMatchObject({ temporalUi });
    const plain = await createTestApp();
    expect(await (await plain.app.request('/api/limits', { headers: { authorization: `Bearer ${plain.keys.alpha}` } })).json()).toMatchObject({ temporalUi: null });
  });

  it('needs credentials', async () => {
    const { app } = await createTestApp();
    expect((await app.request('/api/limits')).status).toBe(401);
  });

  it('lists exactly the extensions detection accepts for each format', () => {
    const text = new TextEncoder().encode('plain words\n');
    for (const format of DOC_FORMATS) {
      for (const ext of ACCEPTED_TYPES[format].extensions) {
        expect(ext).toMatch(/^\.[a-z]+$/);
        // Text-like formats take their name's word; binary ones refuse text as a mismatch, not as an unknown type.
        try {
          expect(detectFormat(text, `file${ext}`)).toBe(format);
        } catch (err) {
          expect((err as { code?: string }).code, `${ext}`).toBe('type_mismatch');
        }
      }
    }
    expect(() => detectFormat(text, 'file.exe')).toThrow(expect.objectContaining({ code: 'unsupported_type' }));
  });
});
