#!/usr/bin/env node
// The `cadre` bin of the project. For now it is the embedded start (`cadre` = `npm start`);
// the CLI (`cadre up`, `cadre login`, …) takes this entry over. It runs the TypeScript sources
// with tsx, resolving the @cadre/* packages through the repository's tsconfig paths, so no
// build step is needed.
const { join } = require('node:path');

process.env.TSX_TSCONFIG_PATH ??= join(__dirname, '..', '..', '..', 'tsconfig.json');
require('tsx/cjs');
require('../src/main.ts');
