/**
 * The published package works where a user installs it: `npm pack` of this
 * repository installs into an empty folder (dependencies from the npm cache
 * or registry: nothing the CLI needs may be a devDependency, and `files`,
 * `bin` and `exports` must ship what it loads), and `npx tokenstorm` there
 * writes a TypeScript starter and runs it against the embedded mock.
 * Uses the built dist/ (`npm test` builds it first).
 */
import { execFile } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { ROOT, tempDir } from '../support/cli.js';

const exec = promisify(execFile);
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';

describe('npm pack', () => {
  it('installs into an empty folder and runs a starter test there', async () => {
    const packs = tempDir('tokenstorm-pack-');
    // The files were built by the pretest step; `prepare` would build them again.
    const { stdout } = await exec(
      npm,
      ['pack', '--ignore-scripts', '--silent', '--pack-destination', packs],
      { cwd: ROOT },
    );
    const tarball = join(packs, stdout.trim().split('\n').pop() as string);
    expect(existsSync(tarball)).toBe(true);
    const user = tempDir('tokenstorm-user-');
    await exec(npm, ['install', '--prefer-offline', '--no-audit', '--no-fund', '--loglevel=error', tarball], {
      cwd: user,
      timeout: 90_000,
    });
    const installed = join(user, 'node_modules', 'tokenstorm');
    // What `files` ships: the CLI, the compiled code and the editor schema; no sources or tests.
    const shipped = readdirSync(installed);
    expect(shipped).toEqual(expect.arrayContaining(['bin', 'dist', 'package.json', 'schema']));
    expect(shipped).not.toContain('src');
    expect(shipped).not.toContain('test');
    const npx = (args: string[]) =>
      exec('npx', ['--no-install', 'tokenstorm', ...args], { cwd: user, timeout: 90_000 });
    await npx(['init', '--ts']);
    // The editor's types come from the installed package.
    expect(readFileSync(join(user, 'tsconfig.json'), 'utf8')).toContain(
      join(installed, 'dist', 'index.d.ts'),
    );
    await npx([
      'run',
      'tokenstorm-test.ts',
      '--duration',
      '1s',
      '--out',
      'runs/first',
      '-q',
      '--no-history',
      '--workers',
      '1',
    ]);
    const summary = JSON.parse(readFileSync(join(user, 'runs', 'first', 'summary.json'), 'utf8'));
    expect(summary).toMatchObject({ passed: true, counts: { ok: 5, errors: 0 } });
  }, 180_000);
});
