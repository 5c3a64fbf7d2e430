export * from './events';
export * from './swarms';
export * from './routes';
