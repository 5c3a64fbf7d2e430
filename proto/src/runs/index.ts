export * from './step-job';
