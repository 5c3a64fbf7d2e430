import {
  CadreError, CancelledError, ConcurrencyError, ConflictError, DomainError, ERROR_CODES, ForbiddenError, NotFoundError,
  RateLimitedError, TimeoutError, UnauthenticatedError, UnavailableError, ValidationError, defineErrorCode, toCadreError,
  type CadreErrorOptions, type ErrorCode,
} from '@cadre/proto';

const wire = (error: CadreError): CadreError => CadreError.fromBody(JSON.parse(JSON.stringify(error.toBody())) as Record<string, unknown>);

type Subclass = new (message: string, details?: unknown, options?: CadreErrorOptions) => CadreError;
const SUBCLASSES: ReadonlyArray<readonly [Subclass, ErrorCode]> = [
  [ValidationError, 'validation_failed'], [NotFoundError, 'not_found'], [ConflictError, 'conflict'],
  [ConcurrencyError, 'concurrency_conflict'], [CancelledError, 'cancelled'], [UnavailableError, 'unavailable'],
  [TimeoutError, 'timeout'], [UnauthenticatedError, 'unauthenticated'], [ForbiddenError, 'forbidden'],
  [RateLimitedError, 'rate_limited'],
];

describe('error causes', () => {
  it.each(SUBCLASSES.map(([Class, code]) => [Class.name, Class, code] as const))('are kept by %s', (_name, Class, code) => {
    const cause = new Error('socket closed');
    const error = new Class('x', { id: 1 }, { cause });
    expect(error.cause).toBe(cause);
    expect(error).toBeInstanceOf(Class);
    expect(error.code).toBe(code);
    expect(error.kind).toBe(code);
    expect(error.details).toEqual({ id: 1 });
  });

  it('are kept by the base class and by domain errors', () => {
    const cause = new Error('boom');
    expect(new CadreError('internal', 'x', undefined, { cause }).cause).toBe(cause);
    expect(new DomainError(defineErrorCode('thing_gone', { kind: 'not_found' }), 'x', undefined, { cause }).cause).toBe(cause);
    expect(toCadreError(cause).cause).toBe(cause);
  });

  it('stay on this side of the wire', () => {
    const received = wire(new UnavailableError('down', undefined, { cause: new Error('password=hunter2') }));
    expect(received).toBeInstanceOf(UnavailableError);
    expect(received.cause).toBeUndefined();
  });

  it('are absent when not given', () => {
    expect('cause' in new NotFoundError('x')).toBe(false);
  });

  it('leave every base code with a subclass rebuilt as that subclass', () => {
    for (const [Class, code] of SUBCLASSES) expect(CadreError.fromBody({ code, message: 'x' })).toBeInstanceOf(Class);
  });
});

describe('the cancelled code', () => {
  it('is a non-retryable 409 that survives the wire as a CancelledError', () => {
    const received = wire(new CancelledError('run cancelled', { run_id: 'r1' }));
    expect(received).toBeInstanceOf(CancelledError);
    expect(received).toMatchObject({ code: 'cancelled', kind: 'cancelled', message: 'run cancelled', details: { run_id: 'r1' } });
    expect(received.status).toBe(409);
    expect(received.retryable).toBe(false);
    expect(ERROR_CODES.cancelled).toEqual({ status: 409, retryable: false });
  });
});

describe('domain error codes', () => {
  const stepNotRunning = defineErrorCode('step_not_running', { kind: 'conflict' });
  const providerBusy = defineErrorCode('llm_provider_busy', { kind: 'rate_limited' });

  it('travel with their kind and come back with its status and retryable flag', () => {
    const sent = new DomainError(stepNotRunning, 'step plan is not running', { step_id: 'plan' });
    expect(sent.toBody()).toEqual({ code: 'step_not_running', kind: 'conflict', message: 'step plan is not running', details: { step_id: 'plan' } });
    const received = wire(sent);
    expect(received).toBeInstanceOf(DomainError);
    expect(received).toMatchObject({ code: 'step_not_running', kind: 'conflict', details: { step_id: 'plan' } });
    expect(received.status).toBe(409);
    expect(received.retryable).toBe(false);

    const busy = wire(new DomainError(providerBusy, 'provider busy'));
    expect(busy).toMatchObject({ code: 'llm_provider_busy', kind: 'rate_limited' });
    expect(busy.status).toBe(429);
    expect(busy.retryable).toBe(true);
  });

  it('can be given straight to the base class', () => {
    const error = new CadreError(stepNotRunning, 'x');
    expect(error.code).toBe('step_not_running');
    expect(error.status).toBe(409);
  });

  it('leave the wire form of base codes as it was (no kind)', () => {
    expect(new NotFoundError('x').toBody()).toEqual({ code: 'not_found', message: 'x' });
  });

  it('refuse base codes and malformed names', () => {
    expect(() => defineErrorCode('conflict', { kind: 'conflict' })).toThrow(/invalid domain error code/);
    expect(() => defineErrorCode('Step-Not-Running', { kind: 'conflict' })).toThrow(/invalid domain error code/);
    expect(() => defineErrorCode('step_gone', { kind: 'no_such_kind' as ErrorCode })).toThrow(/unknown kind/);
  });
});

describe('error bodies from the far side', () => {
  it('keep the kind of a code this side does not know', () => {
    const received = CadreError.fromBody({ code: 'quota_exhausted', kind: 'rate_limited', message: 'no tokens left' });
    expect(received).toMatchObject({ code: 'quota_exhausted', kind: 'rate_limited', message: 'no tokens left' });
    expect(received.status).toBe(429);
    expect(received.retryable).toBe(true);
  });

  it.each([
    ['malformed', { code: 'Not A Code!', kind: 'not_found', message: 'x' }],
    ['not a string', { code: 404, kind: 'not_found', message: 'x' }],
    ['missing', { kind: 'not_found', message: 'x' }],
  ])('keep a known kind when the code is %s', (_label, body) => {
    const received = CadreError.fromBody(body);
    expect(received).toBeInstanceOf(NotFoundError);
    expect(received.code).toBe('not_found');
  });

  it.each([
    ['an unknown code', { code: 'no_such_code', message: 'x' }],
    ['an unknown code and kind', { code: 'no_such_code', kind: 'no_such_kind', message: 'x' }],
    ['no code and no kind', { message: 'x' }],
  ])('turn %s into an internal error', (_label, body) => {
    const received = CadreError.fromBody(body);
    expect(received.code).toBe('internal');
    expect(received.kind).toBe('internal');
    expect(received.status).toBe(500);
    expect(received.retryable).toBe(false);
  });

  it('survive a body that is missing everything', () => {
    expect(CadreError.fromBody({})).toMatchObject({ code: 'internal', message: 'unknown error' });
  });
});
