import { existsSync, readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

// The README and the pages under docs/ link to each other, to screenshots and to code: every link a
// reader can follow must lead somewhere, down to the heading it names.

const root = fileURLToPath(new URL('..', import.meta.url));

function markdownFiles(folder: string): string[] {
  return readdirSync(folder, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(folder, entry.name);
    if (entry.isDirectory()) return markdownFiles(full);
    return entry.name.endsWith('.md') ? [full] : [];
  });
}

/** The anchor GitHub gives a heading: lower case, punctuation dropped, spaces as hyphens. */
const slugOf = (heading: string) =>
  heading
    .trim()
    .toLowerCase()
    .replace(/[`*_]/g, '')
    .replace(/[^\p{L}\p{N} -]/gu, '')
    .replace(/ /g, '-');

function anchorsIn(file: string): Set<string> {
  const text = readFileSync(file, 'utf8').replace(/```[\s\S]*?```/g, '');
  return new Set([...text.matchAll(/^#{1,6} (.+)$/gm)].map((match) => slugOf(match[1])));
}

function linksIn(file: string): string[] {
  const text = readFileSync(file, 'utf8').replace(/```[\s\S]*?```/g, '').replace(/`[^`\n]*`/g, '');
  return [...text.matchAll(/\]\(([^)\s]+)\)/g)].map((match) => match[1]).filter((target) => !/^(https?:|mailto:)/.test(target));
}

const files = [path.join(root, 'README.md'), ...markdownFiles(path.join(root, 'docs'))];

describe('links in the README and docs/', () => {
  it('the README links to the user guide, operations, the API reference and development', () => {
    const links = linksIn(path.join(root, 'README.md'));
    for (const page of ['docs/user-guide.md', 'docs/operations.md', 'docs/api.md', 'docs/development.md']) expect(links).toContain(page);
  });

  it.each(files.map((file) => [path.relative(root, file), file]))('every link in %s leads to a file and heading that exist', (_name, file) => {
    const broken: string[] = [];
    for (const link of linksIn(file)) {
      const [target, anchor] = link.split('#') as [string, string | undefined];
      const targetFile = target === '' ? file : path.resolve(path.dirname(file), decodeURIComponent(target));
      if (!existsSync(targetFile)) broken.push(`${link}: no such file`);
      else if (anchor && targetFile.endsWith('.md') && !anchorsIn(targetFile).has(anchor)) broken.push(`${link}: no such heading`);
    }
    expect(broken).toEqual([]);
  });
});
