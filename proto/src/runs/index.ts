export * from './step-job';
export * from './runs';
export * from './pipelines';
export * from './events';
export * from './routes';
