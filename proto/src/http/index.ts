export * from './route';
export * from './idempotency';
