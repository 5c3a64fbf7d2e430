#!/usr/bin/env node
 
// The `cadre` command. From a build it runs dist/main.js; in the repository it runs the
// TypeScript sources with tsx, resolving the @cadre/* packages through the root tsconfig paths.
const { existsSync } = require('node:fs');
const { join } = require('node:path');

const built = join(__dirname, '..', 'dist', 'main.js');
const entry = existsSync(built) ? built : join(__dirname, '..', 'src', 'main.ts');
if (entry.endsWith('.ts')) {
  process.env.TSX_TSCONFIG_PATH ??= join(__dirname, '..', '..', '..', 'tsconfig.json');
  require('tsx/cjs');
}
const { main } = require(entry);
main(process.argv.slice(2)).then(
  (code) => { process.exitCode = code; },
  (error) => { process.stderr.write(`${String(error)}\n`); process.exitCode = 1; },
);
