#!/usr/bin/env node
// The CLI runs from dist/bundle/ (built by `npm ci` through the prepare script: bin/bundle.cjs).
import { main } from '../dist/bundle/main.js';

await main();
