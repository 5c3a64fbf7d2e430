#!/usr/bin/env node
 
// The `cadre` bin of the project. For now it is the embedded start (`cadre` = `npm start`);
// the CLI (`cadre up`, `cadre login`, …) takes this entry over. It runs the TypeScript sources
// with tsx, resolving the @cadre/* packages through the repository's tsconfig paths, so no
// build step is needed. The tsx CLI relays SIGINT/SIGTERM to Cadre and exits with its code.
const { spawn } = require('node:child_process');
const { join } = require('node:path');

const root = join(__dirname, '..', '..', '..');
const child = spawn(process.execPath, [require.resolve('tsx/cli'), join(root, 'services/cadre/src/main.ts'), ...process.argv.slice(2)], {
  stdio: 'inherit',
  env: { ...process.env, TSX_TSCONFIG_PATH: process.env.TSX_TSCONFIG_PATH ?? join(root, 'tsconfig.json') },
});
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => child.kill(signal));
child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
