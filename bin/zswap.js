#!/usr/bin/env node
// The `zswap` command: the compiled CLI in dist/ (`npm run build`; `npm ci` and `npm pack` run it).
import "../dist/cli/main.js";
