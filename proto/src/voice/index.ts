export * from './schemas';
export * from './messages';
export * from './events';
export * from './routes';
