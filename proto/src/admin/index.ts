export * from './containers';
export * from './dead-letters';
export * from './routes';
