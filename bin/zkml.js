#!/usr/bin/env node
'use strict';
// The CLI runs from the compiled output; `npm install` builds it (the prepare script).
require('../dist/src/cli/main.js')
  .main(process.argv.slice(2))
  .then((code) => process.exit(code));
