export * from './schemas';
export * from './projects';
export * from './events';
export * from './routes';
export * from './errors';
