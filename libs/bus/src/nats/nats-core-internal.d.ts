// The client's `./internal` entry (its transport factory), which Node and Jest resolve through the
// package's exports map; TypeScript's node10 resolution does not read that map, so its types are
// named here by file.
declare module '@nats-io/nats-core/internal' {
  export * from '@nats-io/nats-core/lib/internal_mod';
}
