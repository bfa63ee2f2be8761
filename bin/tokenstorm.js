#!/usr/bin/env node
// The CLI runs from the compiled dist/ (built by `npm ci` through the prepare script).
import { main } from '../dist/cli/main.js';

await main();
