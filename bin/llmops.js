#!/usr/bin/env node
'use strict';
const path = require('node:path');
const fs = require('node:fs');
const runtime = path.join(__dirname, '..', 'dist', 'runtime.js');
if (!fs.existsSync(runtime)) {
  process.stderr.write(`llmops: the runtime is not built (${runtime} is missing). Run 'npm run build' first.\n`);
  process.exit(2);
}
require(runtime);
