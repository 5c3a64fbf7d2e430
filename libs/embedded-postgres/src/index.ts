export { startEmbeddedPostgres, type EmbeddedPostgresServer, type EmbeddedPostgresOptions } from './server';
export { freePort } from './port';
export { unixSocketUrl } from './socket';
