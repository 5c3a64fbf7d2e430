/* eslint-disable @typescript-eslint/no-require-imports -- the package's CommonJS entry */
// The compiled package when it is built; its sources otherwise. Jest's global setup loads
// @cadre/testing (and so this package) through Node's resolver, outside jest's module map,
// before anything is built on a fresh clone: there `.ts` files load through jest's transform.
const { existsSync } = require('node:fs');
const { join } = require('node:path');

module.exports = existsSync(join(__dirname, 'dist', 'index.js')) ? require('./dist/index.js') : require('./src/index.ts');
