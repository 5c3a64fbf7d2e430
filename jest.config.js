/** Test tiers by file name; each tier runs alone with `npm run test:<tier>`. */
const transform = {
  '^.+\\.tsx?$': ['@swc/jest', { jsc: { parser: { syntax: 'typescript' }, target: 'es2022' }, module: { type: 'commonjs' } }],
  // jose ships ES modules only; jest's CommonJS runtime needs them compiled.
  '^.+/node_modules/jose/.+\\.js$': ['@swc/jest', { jsc: { target: 'es2022' }, module: { type: 'commonjs' } }],
};
const moduleNameMapper = {
  '^@cadre/proto$': '<rootDir>/proto/src/index.ts',
  // A library's folder, else a service's: a new package needs no line here.
  '^@cadre/([a-z-]+)$': ['<rootDir>/libs/$1/src/index.ts', '<rootDir>/services/$1/src/index.ts'],
};
const common = { transform, moduleNameMapper, testEnvironment: 'node', rootDir: __dirname,
  testPathIgnorePatterns: ['/node_modules/', '/dist/'], transformIgnorePatterns: ['/node_modules/(?!jose/)'] };
module.exports = {
  testTimeout: 180_000,
  // On a two-core machine jest runs every suite in its own process (in band): one handle a
  // failed test leaves open (a client reconnecting to a server that is gone) would keep the run
  // alive after its summary. The results are final by then; exit.
  forceExit: true,
  globalSetup: '<rootDir>/tests/global-setup.ts',
  globalTeardown: '<rootDir>/tests/global-teardown.ts',
  projects: [
    { ...common, displayName: 'unit', testMatch: ['<rootDir>/**/*.unit.test.ts'] },
    { ...common, displayName: 'int', testMatch: ['<rootDir>/**/*.int.test.ts'] },
    // Every answer an end-to-end suite gets is checked against the OpenAPI document after it.
    { ...common, displayName: 'e2e', testMatch: ['<rootDir>/**/*.e2e.test.ts'], setupFilesAfterEnv: ['<rootDir>/tests/support/contract-check.ts'] },
  ],
};
