export * from './errors';
export * from './subjects';
export * from './envelope';
export * from './events';
export * from './json-schema';
export * from './messages';
export * from './http';
export * from './identity';
