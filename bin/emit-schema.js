#!/usr/bin/env node
// Writes schema/test.schema.json from the zod schema, for YAML editors.
import { mkdirSync, writeFileSync } from 'node:fs';
import { testJsonSchema } from '../dist/config/index.js';

const url = new URL('../schema/', import.meta.url);
mkdirSync(url, { recursive: true });
writeFileSync(new URL('test.schema.json', url), `${JSON.stringify(testJsonSchema(), null, 2)}\n`);
