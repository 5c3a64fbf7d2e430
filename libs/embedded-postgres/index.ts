// Where `main` (dist/index.js) is not built yet — a fresh clone under jest's global setup,
// which resolves packages with Node rather than jest's module map — Node falls back to the
// package's `index` with the extensions registered, and jest registers `.ts`: this file.
export * from './src/index';
