import { CancelledError, ConflictError, DomainError, defineErrorCode } from '@cadre/proto';
import { toHttpError } from './errors';

describe('HTTP error envelope', () => {
  it('answers a domain code with the status of its kind and the code itself', () => {
    const error = new DomainError(defineErrorCode('step_not_running', { kind: 'conflict' }), 'step plan is not running', { step_id: 'plan' });
    expect(toHttpError(error)).toEqual({
      status: 409, body: { error: 'step plan is not running', code: 'step_not_running', details: { step_id: 'plan' } },
    });
  });

  it('hides the text of domain codes of the unavailable and internal kinds as it does for the base ones', () => {
    const down = new DomainError(defineErrorCode('index_offline', { kind: 'unavailable' }), 'subject knowledge.qry.x has no responders');
    expect(toHttpError(down)).toEqual({ status: 503, body: { error: 'Service unavailable', code: 'index_offline' } });
    const broken = new DomainError(defineErrorCode('index_corrupt', { kind: 'internal' }), 'page 12 checksum');
    expect(toHttpError(broken)).toEqual({ status: 500, body: { error: 'Internal error', code: 'internal' } });
  });

  it('answers a cancelled operation with 409, like a conflict', () => {
    expect(toHttpError(new CancelledError('run cancelled'))).toEqual({ status: 409, body: { error: 'run cancelled', code: 'cancelled' } });
    expect(toHttpError(new ConflictError('already there')).status).toBe(409);
  });
});
