/**
 * Tokenizer for the SIF/GloVe text encoder. No dependencies.
 *
 * `tokenize` turns free text into lower-case word tokens:
 *  - Unicode NFKC normalisation, then lower-casing (locale-independent);
 *  - a token is a run of letters / combining marks / digits (any script),
 *    optionally joined by inner hyphens or apostrophes (`sci-fi`, `o'neill`),
 *    and by `.` or `,` only between digits (`3.5`, `1,000`);
 *  - typographic apostrophes (’ ‘ ʼ ′ ´ `) count as `'`;
 *  - English clitics are split the way GloVe's (Stanford PTB) tokenizer did,
 *    then mapped to the full word: `don't` → `do not`, `can't` → `can not`,
 *    `won't` → `will not`, `we're` → `we are`, `I'll` → `i will`, …;
 *    the possessive / `is` clitic `'s` is dropped (`children's` → `children`);
 *  - everything else (punctuation, symbols, emoji, whitespace) separates tokens.
 *
 * `resolveToken` maps one token to vocabulary ids with fallbacks for words
 * the (ASCII-only, number-free) GloVe vocabulary lacks: exact form, then
 * diacritics folded (`amélie` → `amelie`), then inner apostrophes removed
 * (`o'neill` → `oneill`), then the hyphen/apostrophe/number-separated parts
 * (`space-opera` → `space`, `opera`). Unknown tokens contribute nothing.
 */

/** Version tag of the tokenization rules; recorded in the text manifest. */
export const TOKENIZER_VERSION = 'tastebud-words-v1';

const APOSTROPHES = /[\u2019\u2018\u02BC\u2032\u00B4`]/g;
// A run of letters/marks/digits, optionally joined by inner `'` or `-`, or by `.`/`,` between digits.
const TOKEN = /[\p{L}\p{M}\p{N}]+(?:(?:['\-]|(?<=\p{N})[.,](?=\p{N}))[\p{L}\p{M}\p{N}]+)*/gu;

const NOT_IRREGULAR: Readonly<Record<string, string>> = { ca: 'can', wo: 'will', sha: 'shall', ai: 'is' };
const CLITICS: Readonly<Record<string, string | null>> = {
  s: null, // possessive or `is`: dropped (tiny SIF weight either way)
  re: 'are',
  ve: 'have',
  ll: 'will',
  d: 'would',
  m: 'am',
};

function splitClitic(token: string, out: string[]): void {
  if (!token.includes("'")) {
    out.push(token);
    return;
  }
  if (token.endsWith("n't") && token.length > 3) {
    const stem = token.slice(0, -3);
    out.push(NOT_IRREGULAR[stem] ?? stem, 'not');
    return;
  }
  const at = token.lastIndexOf("'");
  const suffix = token.slice(at + 1);
  if (at > 0 && Object.prototype.hasOwnProperty.call(CLITICS, suffix)) {
    splitClitic(token.slice(0, at), out);
    const full = CLITICS[suffix];
    if (full) out.push(full);
    return;
  }
  out.push(token);
}

/** Lower-case word tokens of `text` (see the module comment for the rules). */
export function tokenize(text: string): string[] {
  if (typeof text !== 'string' || text.length === 0) return [];
  const norm = text.normalize('NFKC').toLowerCase().replace(APOSTROPHES, "'");
  const out: string[] = [];
  for (const m of norm.matchAll(TOKEN)) splitClitic(m[0], out);
  return out;
}

/** Removes combining marks after canonical decomposition: `é` → `e`, `ñ` → `n`. */
export function foldDiacritics(token: string): string {
  return token
    .normalize('NFD')
    .replace(/\p{M}+/gu, '')
    .normalize('NFC');
}

/**
 * Vocabulary ids for one token (usually one id, several for a split compound,
 * none when unknown). `lookup` returns the id of an exact vocabulary word.
 */
export function resolveToken(token: string, lookup: (word: string) => number | undefined): number[] {
  const direct = lookup(token);
  if (direct !== undefined) return [direct];
  const folded = foldDiacritics(token);
  if (folded !== token) {
    const id = lookup(folded);
    if (id !== undefined) return [id];
  }
  if (folded.includes("'")) {
    const id = lookup(folded.replace(/'/g, ''));
    if (id !== undefined) return [id];
  }
  const parts = folded.split(/['\-.,]+/);
  if (parts.length < 2) return [];
  const ids: number[] = [];
  for (const part of parts) {
    if (part.length === 0) continue;
    const id = lookup(part);
    if (id !== undefined) ids.push(id);
  }
  return ids;
}
