/**
 * @module core/undici
 * undici, loaded on first use: it serves only `https://` targets, telemetry
 * scrapes and the fault proxy, while a plain-HTTP test's threads never need
 * it (parsing it costs every thread that imports it ~50-100 ms at start-up).
 */
import { createRequire } from 'node:module';

export type Undici = typeof import('undici');

let loaded: Undici | undefined;

/** The undici module; the first call in a thread loads it. */
export function undici(): Undici {
  if (loaded === undefined) loaded = createRequire(import.meta.url)('undici') as Undici;
  return loaded;
}
