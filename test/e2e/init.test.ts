/**
 * `tokenstorm init`: the starter it writes runs and passes against the
 * embedded mock, YAML and TypeScript, the TypeScript one in a folder outside
 * the repository with no node_modules (so `import … from 'tokenstorm'` is
 * resolved by the running tokenstorm, and its types by the written tsconfig).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT, runCli, tempDir } from '../support/cli.js';
import { runTest, summaryOf } from '../support/run-dir.js';

describe('tokenstorm init', () => {
  it('writes a YAML starter that validates and passes against the mock; never overwrites; ignores runs/ once', async () => {
    const dir = tempDir('tokenstorm-init-');
    writeFileSync(join(dir, '.gitignore'), 'node_modules/'); // no newline at the end
    const made = await runCli(['init', dir]);
    expect(made.code, made.stderr).toBe(0);
    const file = join(dir, 'tokenstorm-test.yaml');
    expect(made.stdout).toContain(`tokenstorm run ${file}`);
    expect(readFileSync(join(dir, '.gitignore'), 'utf8')).toBe(
      'node_modules/\n# tokenstorm run directories\nruns/\n',
    );
    const validated = await runCli(['validate', file]);
    expect(validated.code, validated.stderr).toBe(0);
    const out = join(dir, 'runs', 'first');
    const ran = await runTest(file, { out, duration: '2s' });
    expect(ran.code, ran.stderr).toBe(0);
    const summary = summaryOf(out);
    expect(summary.passed).toBe(true);
    expect(summary.counts.ok).toBe(10);
    expect(summary.metrics.ttft_ms.count).toBe(10);
    // Again: the file is kept (exit 2, saying why) and .gitignore gains no second line.
    const again = await runCli(['init', dir]);
    expect(again.code).toBe(2);
    expect(again.stderr).toMatch(
      /tokenstorm-test\.yaml: already exists; tokenstorm init never overwrites a file/,
    );
    const ts = await runCli(['init', dir, '--ts']);
    expect(ts.code, ts.stderr).toBe(0);
    expect(readFileSync(join(dir, '.gitignore'), 'utf8').match(/^runs\/$/gm)).toHaveLength(1);
  });

  it('writes a TypeScript starter that runs outside the repository with no node_modules, typed by its tsconfig', async () => {
    const dir = tempDir('tokenstorm-init-ts-');
    expect(dir.startsWith(ROOT)).toBe(false);
    const made = await runCli(['init', dir, '--ts']);
    expect(made.code, made.stderr).toBe(0);
    expect(existsSync(join(dir, 'node_modules'))).toBe(false);
    const file = join(dir, 'tokenstorm-test.ts');
    expect(readFileSync(file, 'utf8')).toContain("import { defineTest } from 'tokenstorm';");
    const out = join(dir, 'runs', 'first');
    const ran = await runTest(file, { out, duration: '2s' });
    expect(ran.code, ran.stderr).toBe(0);
    expect(summaryOf(out)).toMatchObject({ passed: true, counts: { ok: 10, errors: 0 } });
    // The editor's view: tsc with the written tsconfig finds tokenstorm's types, and a wrong field type fails.
    const tsc = join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
    execFileSync(process.execPath, [tsc, '-p', dir], { stdio: 'pipe' });
    writeFileSync(file, readFileSync(file, 'utf8').replace('max_tokens: 32', "max_tokens: 'many'"));
    let typeError = '';
    try {
      execFileSync(process.execPath, [tsc, '-p', dir], { stdio: 'pipe' });
    } catch (err) {
      typeError = String((err as { stdout?: Buffer }).stdout);
    }
    expect(typeError).toMatch(/tokenstorm-test\.ts\(\d+,\d+\): error TS2322/);
  });

  it('targets a given URL and leaves the mock out; a bad URL is exit 2', async () => {
    const dir = tempDir('tokenstorm-init-url-');
    const made = await runCli(['init', dir, '--target', 'http://127.0.0.1:8000/v1']);
    expect(made.code, made.stderr).toBe(0);
    const text = readFileSync(join(dir, 'tokenstorm-test.yaml'), 'utf8');
    expect(text).toContain('target: http://127.0.0.1:8000/v1');
    expect(text).not.toMatch(/^mock:/m);
    const plan = await runCli(['validate', join(dir, 'tokenstorm-test.yaml'), '--json']);
    expect(JSON.parse(plan.stdout).target).toBe('http://127.0.0.1:8000/v1');
    const bad = await runCli(['init', dir, '--target', 'localhost:8000']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--target: expected an http(s) URL');
  });
});
