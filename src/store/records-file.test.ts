import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { JsonlWriter } from './records-file.js';

describe('JsonlWriter', () => {
  it('keeps lines in the order they were given, whether as values, text or bytes', () => {
    const path = join(mkdtempSync(join(tmpdir(), 'tokenstorm-jsonl-')), 'records.jsonl');
    const writer = new JsonlWriter(path);
    writer.write({ n: 1 });
    writer.writeLines('{"n":2}\n');
    // Bytes go out at once, after the text still buffered.
    writer.writeBytes(Buffer.from('{"n":3}\n{"n":4}\n'));
    writer.write({ n: 5 });
    writer.close();
    // Nothing is written after close.
    writer.writeBytes(Buffer.from('{"n":6}\n'));
    expect(readFileSync(path, 'utf8')).toBe('{"n":1}\n{"n":2}\n{"n":3}\n{"n":4}\n{"n":5}\n');
  });
});
