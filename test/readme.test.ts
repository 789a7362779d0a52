/**
 * README.md is the user's document: short, every link resolves, and its API
 * tables match the public types (read as text, not imported).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';

/** Where the public types and the error codes live (relative to the repository root). */
const TYPES = 'common/types.ts';
const ERRORS = 'common/errors.ts';
const README = 'README.md';
const DOCS = 'docs';
const MAX_README_LINES = 250;

const root = join(import.meta.dirname, '..');
const read = (path: string): string => readFileSync(join(root, path), 'utf8');

/** The body of `export interface <name> { … }`, up to the closing brace at the start of a line. */
function interfaceBody(source: string, name: string): string {
  const match = new RegExp(`export interface ${name} \\{\\n([\\s\\S]*?)\\n\\}`).exec(source);
  assert.ok(match, `${TYPES} declares interface ${name}`);
  return match[1]!;
}

/** Top-level member names of an interface body (two-space indent): `name?:`, `name:` or `name(`. */
function memberNames(body: string): string[] {
  return [...body.matchAll(/^ {2}(\w+)\??\s*[:(]/gm)].map((m) => m[1]!);
}

/** The codes, from `export const ERROR_CODES = [...]` or else from the `TastebudErrorCode` union. */
function errorCodes(): string[] {
  const source = read(ERRORS);
  const match = /export const ERROR_CODES\b[^[]*\[([\s\S]*?)\]/.exec(source) ?? /export type TastebudErrorCode =([\s\S]*?);/.exec(source);
  assert.ok(match, `${ERRORS} declares ERROR_CODES or TastebudErrorCode`);
  return [...match[1]!.matchAll(/'([a-z-]+)'/g)].map((m) => m[1]!);
}

/** The lines of one `##` / `###` section, up to the next heading of the same or a higher level. */
function section(markdown: string, heading: string): string {
  const lines = markdown.split('\n');
  const start = lines.findIndex((l) => l === heading);
  assert.ok(start >= 0, `${README} has a "${heading}" heading`);
  const level = heading.indexOf(' ');
  const end = lines.findIndex((l, i) => i > start && /^#+ /.test(l) && l.indexOf(' ') <= level);
  return lines.slice(start + 1, end < 0 ? undefined : end).join('\n');
}

/** Names in backticks at the start of each table row's first cell: `name`, `name(…)`. */
function firstColumnNames(markdown: string): string[] {
  const names: string[] = [];
  for (const line of markdown.split('\n')) {
    const cell = /^\| `(\w+)[`(]/.exec(line);
    if (cell) names.push(cell[1]!);
  }
  return names;
}

/** GitHub's heading anchors: lower case, punctuation dropped, spaces to hyphens; repeats get -1, -2. */
function anchors(markdown: string): Set<string> {
  const out = new Set<string>();
  const seen = new Map<string, number>();
  let inCode = false;
  for (const line of markdown.split('\n')) {
    if (line.startsWith('```')) inCode = !inCode;
    const m = inCode ? null : /^#{1,6} (.+)$/.exec(line);
    if (!m) continue;
    const slug = m[1]!
      .trim()
      .toLowerCase()
      .replace(/[^\p{L}\p{N}\s_-]/gu, '')
      .replace(/\s/g, '-');
    const n = seen.get(slug) ?? 0;
    seen.set(slug, n + 1);
    out.add(n === 0 ? slug : `${slug}-${n}`);
  }
  return out;
}

const markdownFiles = [
  README,
  ...readdirSync(join(root, DOCS))
    .filter((f) => f.endsWith('.md'))
    .map((f) => `${DOCS}/${f}`),
];
const readme = read(README);
const api = section(readme, '## API');

test(`${README} is at most ${MAX_README_LINES} lines, none of them huge`, () => {
  const lines = readme.split('\n');
  assert.ok(lines.length <= MAX_README_LINES, `${lines.length} lines`);
  const long = lines.map((l, i) => [i + 1, l.length] as const).filter(([, n]) => n > 1000);
  assert.deepEqual(long, [], 'lines over 1,000 characters');
});

test('every relative link in README.md and docs/*.md resolves, anchors included', () => {
  const broken: string[] = [];
  for (const file of markdownFiles) {
    const text = read(file).replace(/```[\s\S]*?```/g, '');
    for (const m of text.matchAll(/\]\(([^)\s]+)\)/g)) {
      const target = m[1]!;
      if (/^[a-z][a-z0-9+.-]*:/i.test(target)) continue; // https:, mailto:
      const [path, anchor] = target.split('#') as [string, string | undefined];
      const resolved = path === '' ? join(root, file) : join(root, dirname(file), decodeURIComponent(path));
      if (!existsSync(resolved)) {
        broken.push(`${file}: ${target}`);
        continue;
      }
      if (anchor && resolved.endsWith('.md') && !anchors(readFileSync(resolved, 'utf8')).has(anchor)) {
        broken.push(`${file}: ${target} (no heading #${anchor} in ${relative(root, resolved)})`);
      }
    }
  }
  assert.deepEqual(broken, []);
});

test('the Options table documents exactly the properties of RecommenderOptions', () => {
  const declared = memberNames(interfaceBody(read(TYPES), 'RecommenderOptions'));
  assert.ok(declared.length >= 5, `found ${declared.join(', ')}`);
  const documented = firstColumnNames(section(api, '### Options'));
  assert.deepEqual([...documented].sort(), [...declared].sort());
});

test('the recommend() options table documents exactly the properties of RecommendOptions', () => {
  const declared = memberNames(interfaceBody(read(TYPES), 'RecommendOptions'));
  const documented = firstColumnNames(section(api, '### recommend() options'));
  assert.deepEqual([...documented].sort(), [...declared].sort());
});

test('the Methods table documents exactly the methods of Recommender', () => {
  const declared = memberNames(interfaceBody(read(TYPES), 'Recommender'));
  assert.ok(declared.includes('recommend') && declared.includes('dispose'), `found ${declared.join(', ')}`);
  const documented = firstColumnNames(section(api, '### Methods'));
  assert.deepEqual([...documented].sort(), [...declared].sort());
});

test('the Errors table documents exactly the TastebudError codes', () => {
  const declared = errorCodes();
  assert.ok(declared.includes('invalid-argument') && declared.includes('internal'), `found ${declared.join(', ')}`);
  const rows = [...section(api, '### Errors').matchAll(/^\| `([a-z-]+)` \|/gm)].map((m) => m[1]!);
  assert.deepEqual([...rows].sort(), [...declared].sort());
});
