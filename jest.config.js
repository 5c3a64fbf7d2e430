/** Test tiers by file name; each tier runs alone with `npm run test:<tier>`. */
const transform = {
  '^.+\\.tsx?$': ['@swc/jest', { jsc: { parser: { syntax: 'typescript' }, target: 'es2022' }, module: { type: 'commonjs' } }],
  // jose ships ES modules only; jest's CommonJS runtime needs them compiled.
  '^.+/node_modules/jose/.+\\.js$': ['@swc/jest', { jsc: { target: 'es2022' }, module: { type: 'commonjs' } }],
  // The voice service's file-type and music-metadata (and their parsers) are ES modules only too.
  '^.+/node_modules/(file-type|music-metadata|strtok3|token-types|uint8array-extras|@tokenizer/inflate|@borewit/text-codec|win-guid|media-typer)/.+\\.js$':
    // `node` interop: a default import of a CommonJS package is its module.exports, as in Node's ES modules.
    ['@swc/jest', { jsc: { target: 'es2022' }, module: { type: 'commonjs', importInterop: 'node' } }],
  // web-tree-sitter (knowledge service) loads `module` by a dynamic import, which jest's CommonJS runtime cannot run.
  '^.+/node_modules/@vscode/tree-sitter-wasm/.+\\.js$': ['@swc/jest', { jsc: { target: 'es2022' }, module: { type: 'commonjs' } }],
};
const moduleNameMapper = {
  '^@cadre/proto$': '<rootDir>/proto/src/index.ts',
  // A library's folder, else a service's: a new package needs no line here.
  '^@cadre/([a-z-]+)$': ['<rootDir>/libs/$1/src/index.ts', '<rootDir>/services/$1/src/index.ts'],
  // Their package exports name only `import` for Node: point jest's CommonJS resolver at the files.
  '^file-type$': '<rootDir>/node_modules/file-type/index.js',
  '^music-metadata$': '<rootDir>/node_modules/music-metadata/lib/index.js',
};
const common = { transform, moduleNameMapper, testEnvironment: 'node', rootDir: __dirname,
  testPathIgnorePatterns: ['/node_modules/', '/dist/'], transformIgnorePatterns: ['/node_modules/(?!(jose|file-type|music-metadata|strtok3|token-types|uint8array-extras|@tokenizer/inflate|@borewit/text-codec|win-guid|media-typer|@vscode/tree-sitter-wasm)/)'] };
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
