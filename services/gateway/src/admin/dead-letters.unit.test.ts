import type { DeadLetter } from '@cadre/bus';
import { detailOf } from './dead-letters';

const letter = (body: Uint8Array): DeadLetter => ({
  queue: 'steps', jobId: '7', attempts: 2, reason: 'boom', data: Buffer.from(body).toString('base64'), headers: { 'x-run': 'r1' }, time: '2025-01-01T00:00:00.000Z',
});

describe('a dead letter as the admin route shows it', () => {
  it('gives a JSON body as its value', () => {
    expect(detailOf(letter(Buffer.from('{"system_prompt":"be brief","n":[1,2]}')))).toEqual({
      queue: 'steps', job_id: '7', attempts: 2, reason: 'boom', time: '2025-01-01T00:00:00.000Z', headers: { 'x-run': 'r1' },
      body_encoding: 'json', body: { system_prompt: 'be brief', n: [1, 2] },
    });
  });

  it('gives any other body as base64: text that is not JSON, bytes that are not UTF-8, nothing', () => {
    for (const body of [Buffer.from('plain words'), Buffer.from([0xff, 0xfe, 0x7b, 0x7d]), Buffer.alloc(0)]) {
      expect(detailOf(letter(body))).toMatchObject({ body_encoding: 'base64', body: body.toString('base64') });
    }
  });
});
