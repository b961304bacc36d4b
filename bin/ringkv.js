#!/usr/bin/env node
// The package's command. The TypeScript sources are compiled to dist/ by `npm ci` (prepare).
import "../dist/src/cli/main.js";
