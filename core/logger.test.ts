import { describe, expect, it } from 'vitest';
import { createJsonLogger, isSecretField, parseLogLevel, type JsonLoggerOptions } from './logger.js';

function capture(options: JsonLoggerOptions = {}) {
  const lines: string[] = [];
  const logger = createJsonLogger({ now: () => new Date('2030-01-02T03:04:05.678Z'), write: (l) => lines.push(l), ...options });
  return { logger, lines, parsed: () => lines.map((l) => JSON.parse(l) as Record<string, unknown>) };
}

describe('JSON logger', () => {
  it('writes one JSON object per line with time, level and msg first', () => {
    const { logger, lines, parsed } = capture();
    logger.info('request', { requestId: 'r1', status: 200 });
    expect(lines).toHaveLength(1);
    expect(lines[0].includes('\n')).toBe(false);
    expect(Object.keys(parsed()[0]).slice(0, 3)).toEqual(['time', 'level', 'msg']);
    expect(parsed()[0]).toEqual({ time: '2030-01-02T03:04:05.678Z', level: 'info', msg: 'request', requestId: 'r1', status: 200 });
  });

  it('drops lines below the level and says which levels are enabled', () => {
    const { logger, parsed } = capture({ level: 'warn' });
    logger.debug('d');
    logger.info('i');
    logger.warn('w');
    logger.error('e');
    expect(parsed().map((l) => l.level)).toEqual(['warn', 'error']);
    expect(logger.enabled('info')).toBe(false);
    expect(logger.enabled('error')).toBe(true);
  });

  it('child loggers carry their fields on every line, and a field cannot overwrite time, level or msg', () => {
    const { logger, parsed } = capture({ fields: { service: 'worker' } });
    const child = logger.child({ batchId: 'b1' }).child({ documentId: 'd1' });
    child.info('step done', { level: 'fake', msg: 'fake', ms: 5 });
    expect(parsed()[0]).toEqual({ time: '2030-01-02T03:04:05.678Z', level: 'info', msg: 'step done', service: 'worker', batchId: 'b1', documentId: 'd1', ms: 5 });
  });

  it('redacts credentials and user content wherever they appear', () => {
    const { logger, lines, parsed } = capture();
    logger.info('careless call site', {
      authorization: 'Bearer dfk_secret1',
      apiKey: 'dfk_secret2',
      csrfToken: 'csrf-secret3',
      headers: { cookie: 'docflow_session=secret4', 'x-api-key': 'secret5', 'Set-Cookie': 'secret6' },
      query: 'what did the report say about revenue',
      chunks: [{ text: 'confidential chunk text', index: 3 }],
      METRICS_TOKEN: 'secret7',
      sessionSecret: 'secret8',
      documentId: 'd1',
    });
    for (const secret of ['dfk_secret1', 'dfk_secret2', 'csrf-secret3', 'secret4', 'secret5', 'secret6', 'revenue', 'confidential', 'secret7', 'secret8']) {
      expect(lines[0]).not.toContain(secret);
    }
    const line = parsed()[0] as Record<string, any>;
    expect(line.documentId).toBe('d1');
    expect(line.authorization).toBe('[redacted]');
    expect(line.headers.cookie).toBe('[redacted]');
    expect(line.chunks[0]).toEqual({ text: '[redacted]', index: 3 });
  });

  it('keeps ordinary ids that merely contain a secret-looking word', () => {
    expect(isSecretField('blobKey')).toBe(false);
    expect(isSecretField('idempotencyKey')).toBe(false);
    expect(isSecretField('tokenCount')).toBe(false);
    expect(isSecretField('x-api-key')).toBe(true);
    expect(isSecretField('csrf_token')).toBe(true);
  });

  it('redacts object store credentials under the names the S3 SDK and LanceDB use', () => {
    const { logger, parsed } = capture();
    logger.info('store', {
      s3: { bucket: 'docs', accessKeyId: 'AKIAEXAMPLE', secretAccessKey: 'wJalrXUtnFEMI' },
      storage: { aws_access_key_id: 'AKIAEXAMPLE', aws_secret_access_key: 'wJalrXUtnFEMI', endpoint: 'http://s3:8333' },
    });
    const line = parsed()[0] as Record<string, any>;
    expect(line.s3).toEqual({ bucket: 'docs', accessKeyId: '[redacted]', secretAccessKey: '[redacted]' });
    expect(line.storage).toEqual({ aws_access_key_id: '[redacted]', aws_secret_access_key: '[redacted]', endpoint: 'http://s3:8333' });
  });

  it('serializes errors, cycles, bigints and dates without throwing', () => {
    const { logger, parsed } = capture();
    const cyclic: Record<string, unknown> = { name: 'loop' };
    cyclic.self = cyclic;
    const err = Object.assign(new Error('boom', { cause: new Error('root') }), { type: 'corrupt' });
    logger.error('failed', { error: err, cyclic, big: 10n, at: new Date('2030-01-01T00:00:00Z') });
    const line = parsed()[0] as Record<string, any>;
    expect(line.error).toMatchObject({ name: 'Error', message: 'boom', type: 'corrupt', cause: { message: 'root' } });
    expect(line.cyclic).toEqual({ name: 'loop', self: '[circular]' });
    expect(line.big).toBe('10');
    expect(line.at).toBe('2030-01-01T00:00:00.000Z');
  });

  it('parses level names and refuses unknown ones clearly', () => {
    expect(parseLogLevel(' WARN ')).toBe('warn');
    expect(() => parseLogLevel('verbose')).toThrow(/unknown log level "verbose": use one of debug, info, warn, error/);
  });
});
