/**
 * Every relative link in the README and the docs resolves: the file exists
 * and, for `#anchor`, one of its headings has that GitHub slug. And
 * docs/index.md lists every page, so a new page cannot be orphaned. The
 * README's first test is the quickstart example, as it says.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import GithubSlugger from 'github-slugger';
import { describe, expect, it } from 'vitest';
import { ROOT } from './support/cli.js';

/** Markdown files a reader follows links in: the README, docs/ (with design notes), examples/, bench/. */
function markdownFiles(): string[] {
  const out = [join(ROOT, 'README.md')];
  const walk = (dir: string) => {
    for (const name of readdirSync(dir)) {
      const p = join(dir, name);
      if (statSync(p).isDirectory()) {
        if (name !== 'node_modules') walk(p);
      } else if (name.endsWith('.md')) out.push(p);
    }
  };
  for (const dir of ['docs', 'examples', 'bench']) walk(join(ROOT, dir));
  return out;
}

/** Text outside fenced code blocks and inline code, where a `[x](y)` is a link. */
function prose(markdown: string): string {
  return markdown.replace(/^```[\s\S]*?^```/gm, '').replace(/`[^`\n]*`/g, '');
}

/** The anchors GitHub gives a file's headings. */
function anchors(file: string): Set<string> {
  const slugger = new GithubSlugger();
  const text = readFileSync(file, 'utf8').replace(/^```[\s\S]*?^```/gm, '');
  const headings = [...text.matchAll(/^#{1,6}\s+(.+?)\s*#*\s*$/gm)].map((m) => m[1] as string);
  return new Set(
    headings.map((h) => slugger.slug(h.replace(/`/g, '').replace(/\[([^\]]*)\]\([^)]*\)/g, '$1'))),
  );
}

/** Relative links in a file that do not resolve, as "file: target (why)". */
function brokenLinks(file: string): string[] {
  const broken: string[] = [];
  for (const m of prose(readFileSync(file, 'utf8')).matchAll(/\]\(([^)\s]+)(?:\s+"[^"]*")?\)/g)) {
    const target = m[1] as string;
    if (/^[a-z][a-z0-9+.-]*:/i.test(target)) continue; // http:, https:, mailto:
    const [path, anchor] = target.split('#') as [string, string | undefined];
    const dest = path === '' ? file : resolve(dirname(file), decodeURIComponent(path));
    const where = `${relative(ROOT, file)}: ${target}`;
    if (!existsSync(dest)) broken.push(`${where} (no such file)`);
    else if (anchor && dest.endsWith('.md') && !anchors(dest).has(anchor))
      broken.push(`${where} (no such heading)`);
  }
  return broken;
}

describe('documentation links', () => {
  const files = markdownFiles();

  it('finds the README and the docs', () => {
    expect(files.map((f) => relative(ROOT, f))).toEqual(
      expect.arrayContaining(['README.md', 'docs/index.md', 'docs/limits.md']),
    );
  });

  it('every relative link resolves to a file and heading that exist', () => {
    expect(files.flatMap(brokenLinks)).toEqual([]);
  });

  it('docs/index.md links every page of docs/', () => {
    const index = readFileSync(join(ROOT, 'docs/index.md'), 'utf8');
    const pages = files
      .filter((f) => f.startsWith(join(ROOT, 'docs')) && !f.endsWith('index.md'))
      .map((f) => relative(join(ROOT, 'docs'), f));
    expect(pages.filter((p) => !index.includes(`](${p})`))).toEqual([]);
  });
});

describe('the README', () => {
  it('shows examples/quickstart.yaml as it is, without its leading comments', () => {
    const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
    const shown = readme.match(/This is\s+`examples\/quickstart\.yaml`:\s+```yaml\n([\s\S]*?)```/)?.[1];
    const file = readFileSync(join(ROOT, 'examples/quickstart.yaml'), 'utf8').replace(/^(#.*\n)+/, '');
    expect(shown).toBe(file);
  });

  it('stays a guide: at most about 200 lines', () => {
    expect(readFileSync(join(ROOT, 'README.md'), 'utf8').split('\n').length).toBeLessThanOrEqual(210);
  });
});
