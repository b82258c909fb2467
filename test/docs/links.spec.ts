import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(__dirname, '../..');
const DOCS = join(ROOT, 'docs');
const PAGES = [
  join(ROOT, 'README.md'),
  join(ROOT, 'BENCHMARKS.md'),
  ...readdirSync(DOCS)
    .filter((name) => name.endsWith('.md'))
    .map((name) => join(DOCS, name)),
];

/** The text as GitHub renders it for links and headings: fenced code blocks and inline code left out. */
function withoutCode(markdown: string): string {
  return markdown.replace(/^(```|~~~)[^\n]*\n[\s\S]*?^\1[^\n]*$/gm, '').replace(/`[^`\n]*`/g, '');
}

/** GitHub's heading anchors (github-slugger): lower case, punctuation dropped, spaces to hyphens, repeats numbered. */
function headingAnchors(markdown: string): Set<string> {
  const anchors = new Set<string>();
  const seen = new Map<string, number>();
  const text = markdown.replace(/^(```|~~~)[^\n]*\n[\s\S]*?^\1[^\n]*$/gm, '');
  for (const [, heading] of text.matchAll(/^#{1,6}[ \t]+(.+?)[ \t#]*$/gm)) {
    const rendered = heading
      .replace(/!?\[([^\]]*)\]\([^)]*\)/g, '$1')
      .replace(/`([^`]*)`/g, '$1')
      .replace(/\*/g, '');
    const base = rendered
      .toLowerCase()
      .replace(/[^\p{L}\p{M}\p{N}\p{Pc} -]/gu, '')
      .replace(/ /g, '-');
    const count = seen.get(base) ?? 0;
    seen.set(base, count + 1);
    anchors.add(count === 0 ? base : `${base}-${count}`);
  }
  return anchors;
}

/** Relative link targets of a page (inline links and images), as written. */
function relativeLinks(markdown: string): string[] {
  const targets = [...withoutCode(markdown).matchAll(/!?\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g)].map((m) => m[1]);
  return targets.filter((target) => !/^[a-z][a-z0-9+.-]*:/i.test(target));
}

/** Every relative link of `file` that points at no file, or at a heading its target does not have. */
function brokenLinks(file: string, markdown: string, read: (path: string) => string | undefined): string[] {
  const broken: string[] = [];
  for (const target of relativeLinks(markdown)) {
    const hash = target.indexOf('#');
    const pathPart = hash === -1 ? target : target.slice(0, hash);
    const anchor = hash === -1 ? undefined : decodeURIComponent(target.slice(hash + 1));
    const path = pathPart === '' ? file : resolve(dirname(file), decodeURIComponent(pathPart));
    const content = path === file ? markdown : read(path);
    if (content === undefined) {
      broken.push(`${target}: no such file`);
      continue;
    }
    if (anchor === undefined) continue;
    if (!path.endsWith('.md')) {
      broken.push(`${target}: anchors are only checked in Markdown files`);
      continue;
    }
    if (!headingAnchors(content).has(anchor)) broken.push(`${target}: no heading with the anchor #${anchor}`);
  }
  return broken;
}

const readFromDisk = (path: string): string | undefined => {
  if (!existsSync(path)) return undefined;
  return statSync(path).isDirectory() ? '' : readFileSync(path, 'utf8');
};

describe('the documentation', () => {
  it.each(PAGES.map((file) => [relative(ROOT, file), file]))('%s: every relative link points at a file and heading that exist', (_name, file) => {
    expect(brokenLinks(file, readFileSync(file, 'utf8'), readFromDisk)).toEqual([]);
  });

  it('the README links into every page of docs/, and every page starts with its reader and a link back', () => {
    const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
    const linked = new Set(relativeLinks(readme).map((target) => target.split('#')[0]));
    for (const file of PAGES.filter((page) => page.startsWith(DOCS + '/'))) {
      const name = relative(ROOT, file);
      expect(linked, `README links to ${name}`).toContain(name);
      const opening = readFileSync(file, 'utf8').split('\n').slice(0, 6).join('\n');
      expect(opening, `${name} says who it is for`).toMatch(/^\*\*For:\*\*/m);
      expect(opening, `${name} links back to the README`).toContain('](../README.md)');
    }
  });

  it('the README leaves the configuration table to docs/configuration.md', () => {
    const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
    expect(readme.match(/^\| `[A-Z][A-Z0-9_]+` \|/gm)).toBeNull();
    expect(relativeLinks(readme)).toContain('docs/configuration.md');
  });

  it('stands on its own: no pointers to notes or files outside the repository', () => {
    for (const file of PAGES) {
      const text = readFileSync(file, 'utf8');
      expect(text, relative(ROOT, file)).not.toMatch(/\.\.\/shared\b|\/work\/|\]\(\.\.\/\.\.\//);
    }
  });

  it('the link check finds what is broken (so the checks above can fail)', () => {
    const file = join(DOCS, 'example.md');
    const page = [
      '# Example page',
      '## A heading: with punctuation (and more)',
      '## Twice',
      '## Twice',
      '[fine](#a-heading-with-punctuation-and-more) [second twice](#twice-1) [readme](../README.md)',
      '[missing file](missing.md) [missing heading](#nowhere) [image](./nope.png)',
      '`[in code](not-checked.md)` [web](https://example.com/x) [mail](mailto:a@example.com)',
      '```',
      '[in a code block](also-not-checked.md)',
      '```',
    ].join('\n');
    const files: Record<string, string> = { [join(ROOT, 'README.md')]: '# voice-gateway\n' };
    expect(brokenLinks(file, page, (path) => files[path])).toEqual([
      'missing.md: no such file',
      '#nowhere: no heading with the anchor #nowhere',
      './nope.png: no such file',
    ]);
  });
});
