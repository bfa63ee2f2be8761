#!/usr/bin/env node
// The client's token count and the tokenizer's cost per thread, for one build.
//   node --expose-gc bench/tokenizer.mjs [ROOT]     (ROOT: a build's directory, default this one)
// Prints one JSON line: the tokenizer's build time and what it adds to RSS, the JS heap and
// ArrayBuffers (fresh process), then ms per count of an English text (this repository's docs
// and sources, repeated to ~4 MB) and a non-ASCII one (CJK, accented Latin, Cyrillic, Arabic,
// emoji, ~2 MB): the build's protocols/tokens.js countTokens and, for reference, the package's
// own countTokens. Medians of 5 after a warm-up count.
import { readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const here = join(dirname(fileURLToPath(import.meta.url)), '..');
const root = process.argv[2] ?? here;
const load = (path) => import(pathToFileURL(join(root, path)).href);

function filesUnder(dir, ext) {
  const out = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...filesUnder(path, ext));
    else if (entry.name.endsWith(ext)) out.push(path);
  }
  return out.sort();
}

function englishText(units) {
  const base = [...filesUnder(join(here, 'docs'), '.md'), ...filesUnder(join(here, 'src'), '.ts')]
    .map((f) => readFileSync(f, 'utf8'))
    .join('\n');
  let text = '';
  while (text.length < units) text += base;
  return text.slice(0, units);
}

function nonAsciiText(units) {
  let s = 20261208;
  const next = () => {
    s = (Math.imul(s, 1103515245) + 12345) & 0x7fffffff;
    return s / 0x80000000;
  };
  const pick = (xs) => xs[Math.floor(next() * xs.length)];
  const from = (lo, hi, n) => {
    let t = '';
    for (let i = 0; i < n; i++) t += String.fromCodePoint(lo + Math.floor(next() * (hi - lo)));
    return t;
  };
  const parts = [
    () => from(0x4e00, 0x4e00 + 3000, 2 + Math.floor(next() * 12)),
    () => from(0x3041, 0x3097, 2 + Math.floor(next() * 6)),
    () => ` ${pick(['café', 'naïve', 'über', 'señor', 'déjà', 'façade', 'Ærø', 'smørbrød', 'coöperate'])}`,
    () => ` ${pick(['привет', 'мир', 'нагрузка', 'тест', 'сервер'])}`,
    () => ` ${pick(['مرحبا', 'العالم', 'اختبار', 'خادم'])}`,
    () => pick(['🙂', '👍🏽', '👨‍👩‍👧‍👦', '🚀', '🇫🇷', '❤️', '🧑🏿‍💻']),
    () => pick(['。', '、', '！', '？', ', ', '. ', '\n']),
  ];
  let text = '';
  while (text.length < units) text += pick(parts)();
  return text;
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)];
function time(count, text) {
  const want = count(text);
  const ms = [];
  for (let i = 0; i < 5; i++) {
    const t0 = performance.now();
    const n = count(text);
    ms.push(performance.now() - t0);
    if (n !== want) throw new Error('count changed between runs');
  }
  return { ms: Math.round(median(ms)), tokens: want };
}

const core = await load('dist/core/tokenizer.js');
const english = englishText(4 * 1024 * 1024);
const other = nonAsciiText(2 * 1024 * 1024);
globalThis.gc?.();
const before = process.memoryUsage();
const t0 = performance.now();
core.tokenizer();
const buildMs = performance.now() - t0;
// Twice, a turn apart: a freed ArrayBuffer's memory goes back after a later collection.
globalThis.gc?.();
await new Promise((resolve) => setTimeout(resolve, 50));
globalThis.gc?.();
const after = process.memoryUsage();
const mb = (k) => Math.round(((after[k] - before[k]) / 1048576) * 10) / 10;
const { countTokens } = await load('dist/protocols/tokens.js');
const pkg = createRequire(join(root, 'package.json'))('gpt-tokenizer');
const pkgCount = (text) => pkg.countTokens(text, { disallowedSpecial: new Set() });
console.log(
  JSON.stringify({
    root,
    build: {
      ms: Math.round(buildMs),
      rssMb: mb('rss'),
      heapUsedMb: mb('heapUsed'),
      arrayBuffersMb: mb('arrayBuffers'),
    },
    englishUnits: english.length,
    nonAsciiUnits: other.length,
    countTokens: { english: time(countTokens, english), nonAscii: time(countTokens, other) },
    gptTokenizerCount: { english: time(pkgCount, english), nonAscii: time(pkgCount, other) },
  }),
);
