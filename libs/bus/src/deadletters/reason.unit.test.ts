import { MAX_REASON_LENGTH, publicReason } from './reason';

const body = (value: unknown): Uint8Array => new TextEncoder().encode(typeof value === 'string' ? value : JSON.stringify(value));

describe('the public reason of a dead letter', () => {
  it('keeps a reason that quotes nothing of the body as it is', () => {
    expect(publicReason('boom 3', body('boom'))).toBe('boom 3');
    expect(publicReason('run run-1 not found', body({ run_id: 'run-1', input: 'summarise the quarterly report' }))).toBe('run run-1 not found');
  });

  it('masks the whole body, as sent, as compact JSON or as base64', () => {
    const job = { input: 'summarise the quarterly report', n: 1 };
    const pretty = JSON.stringify(job, null, 2);
    expect(publicReason(`bad job ${pretty}`, body(pretty))).toBe('bad job [job body]');
    expect(publicReason(`bad job ${JSON.stringify(job)}`, body(pretty))).toBe('bad job [job body]');
    const base64 = Buffer.from(JSON.stringify(job)).toString('base64');
    expect(publicReason(`cannot decode ${base64}`, body(job))).toBe('cannot decode [job body]');
  });

  it('masks the prose values of a JSON body but leaves ids and model names readable', () => {
    const job = {
      run_id: '0199a7a4-5f7e-7c3b-9a1e-2f4d5c6b7a80', model: 'openai/gpt-4o-mini',
      system_prompt: 'You are a careful reviewer', steps: [{ input: 'Read the attached contract and list the risks' }],
    };
    const reason = `step of ${job.run_id} on ${job.model} failed: prompt "${job.system_prompt}" input "${job.steps[0]!.input}"`;
    expect(publicReason(reason, body(job)))
      .toBe(`step of ${job.run_id} on ${job.model} failed: prompt "[job body]" input "[job body]"`);
  });

  it('masks long tokens even without spaces (they may be keys)', () => {
    const key = 'sk-0123456789abcdefghijklmnopqrstuvwxyzABCDEF';
    expect(publicReason(`rejected ${key}`, body({ key }))).toBe('rejected [job body]');
  });

  it('cuts a long reason to the bound, after masking, never through a surrogate pair', () => {
    const prompt = `${'p'.repeat(3_000)} end`;
    const masked = publicReason(`x ${prompt} ${'z'.repeat(3_000)}`, body({ prompt }));
    expect(masked.length).toBeLessThanOrEqual(MAX_REASON_LENGTH);
    expect(masked.startsWith('x [job body] zzz')).toBe(true);
    expect(masked.endsWith('…')).toBe(true);
    const emoji = publicReason(`${'a'.repeat(MAX_REASON_LENGTH - 2)}😀😀`, body('{}'));
    expect(emoji.length).toBeLessThanOrEqual(MAX_REASON_LENGTH);
    expect(emoji.endsWith('a…')).toBe(true);
  });
});
