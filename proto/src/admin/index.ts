export * from './containers';
export * from './dead-letters';
