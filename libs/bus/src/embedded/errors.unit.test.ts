import { CadreError, UnavailableError } from '@cadre/proto';
import { isConnectionError, toBusError } from './errors';

const nodeError = (code: string, message = code, syscall?: string): Error => Object.assign(new Error(message), { code, ...(syscall === undefined ? {} : { syscall }) });

describe('telling a database outage from a bad statement', () => {
  it.each([
    ['over TCP, nothing listening', nodeError('ECONNREFUSED', 'connect ECONNREFUSED 127.0.0.1:5432')],
    ['over a Unix socket, the socket file gone with the server', nodeError('ENOENT', 'connect ENOENT /tmp/.s.PGSQL.5432', 'connect')],
    ['the connection cut', nodeError('ECONNRESET')],
    ['the server shutting down', nodeError('57P01', 'terminating connection due to administrator command')],
    ['the server starting up', nodeError('57P03', 'the database system is starting up')],
    ['too many clients', nodeError('53300', 'sorry, too many clients already')],
    ['a connection exception class', nodeError('08006')],
    ['the driver after the socket closed', new Error('Connection terminated unexpectedly')],
    ['every address refused', Object.assign(new Error('all failed'), { errors: [nodeError('ECONNREFUSED')] })],
  ])('%s: unavailable', (_what, error) => {
    expect(isConnectionError(error)).toBe(true);
    expect(toBusError(error, 'publish')).toBeInstanceOf(UnavailableError);
  });

  it.each([
    ['a syntax error', nodeError('42601', 'syntax error at or near "SELEC"')],
    ['a unique violation', nodeError('23505', 'duplicate key value violates unique constraint')],
    ['a plain bug', new TypeError('cannot read properties of undefined')],
    ['a file missing (not a connection)', nodeError('ENOENT', "ENOENT: no such file or directory, open 'x.json'", 'open')],
    ['not an error', 'ENOENT'],
  ])('%s: not an outage', (_what, error) => {
    expect(isConnectionError(error)).toBe(false);
    const mapped = toBusError(error, 'publish');
    expect(mapped).not.toBeInstanceOf(UnavailableError);
    expect(mapped).toBeInstanceOf(CadreError);
  });
});
