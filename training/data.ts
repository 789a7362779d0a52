/**
 * Streaming reader for interaction logs: CSV / TSV (`user,item[,rating][,timestamp]`,
 * with or without a header), MovieLens `::` files and the ordered
 * `user item` lines of sequences.txt. Builds per-user chronological
 * sequences and the item vocabulary; every bad line is reported with its
 * line number as a TastebudError('invalid-argument').
 */
import { createHash } from 'node:crypto';
import { createReadStream, existsSync, statSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { TastebudError } from '../common/errors';

export interface Interaction {
  item: string;
  rating?: number;
  ts?: number;
  line: number;
}

export interface ReadOptions {
  /** Skip exact duplicate lines (same user, item, rating, timestamp) instead of failing. Default true. */
  skipDuplicates?: boolean;
}

export interface InteractionLog {
  /** User ids in order of first appearance. */
  users: string[];
  /** Per user, interactions in chronological order (timestamp if present, else file order). */
  byUser: Map<string, Interaction[]>;
  fingerprint: DataFingerprint;
  warnings: string[];
}

export interface DataFingerprint {
  file: string;
  sha256: string;
  bytes: number;
  lines: number;
  interactions: number;
  users: number;
  items: number;
  format: string;
  duplicatesSkipped: number;
}

const USER_COLS = ['user', 'userid', 'user_id', 'uid', 'visitor', 'visitorid'];
const ITEM_COLS = ['item', 'itemid', 'item_id', 'movieid', 'movie_id', 'iid', 'product', 'productid'];
const RATING_COLS = ['rating', 'score', 'stars', 'value'];
const TS_COLS = ['timestamp', 'time', 'ts', 'date', 'datetime'];

type Splitter = (line: string) => string[];

function detectSplitter(first: string, file: string): { split: Splitter; format: string } {
  if (first.includes('::')) return { split: (l) => l.split('::'), format: 'movielens-dat' };
  if (first.includes('\t') || /\.tsv$/i.test(file)) return { split: (l) => l.split('\t'), format: 'tsv' };
  if (first.includes(',')) return { split: splitCsv, format: 'csv' };
  return { split: (l) => l.trim().split(/\s+/), format: 'whitespace' };
}

/** Minimal RFC-4180 split (quotes, doubled quotes). */
function splitCsv(line: string): string[] {
  if (!line.includes('"')) return line.split(',');
  const out: string[] = [];
  let cur = '';
  let q = false;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i] as string;
    if (q) {
      if (ch === '"' && line[i + 1] === '"') {
        cur += '"';
        i++;
      } else if (ch === '"') q = false;
      else cur += ch;
    } else if (ch === '"') q = true;
    else if (ch === ',') {
      out.push(cur);
      cur = '';
    } else cur += ch;
  }
  out.push(cur);
  return out;
}

const isNumeric = (s: string): boolean => s.trim() !== '' && Number.isFinite(Number(s));

function bad(file: string, line: number, message: string): never {
  throw new TastebudError('invalid-argument', `${file}:${line}: ${message}`, { field: `line ${line}` });
}

interface Columns {
  user: number;
  item: number;
  rating: number;
  ts: number;
}

function headerColumns(fields: string[]): Columns | null {
  const norm = fields.map((f) => f.trim().toLowerCase().replace(/^"|"$/g, ''));
  if (norm.every((f) => isNumeric(f))) return null;
  const find = (names: string[]): number => norm.findIndex((f) => names.includes(f));
  const user = find(USER_COLS);
  const item = find(ITEM_COLS);
  if (user < 0 && item < 0 && isNumeric(norm[0] ?? '')) return null;
  return { user: user < 0 ? 0 : user, item: item < 0 ? 1 : item, rating: find(RATING_COLS), ts: find(TS_COLS) };
}

export async function readInteractions(file: string, opts: ReadOptions = {}): Promise<InteractionLog> {
  if (!existsSync(file)) throw new TastebudError('invalid-argument', `Interactions file not found: ${file}`, { field: 'interactions' });
  const st = statSync(file);
  if (!st.isFile()) throw new TastebudError('invalid-argument', `Not a file: ${file}`, { field: 'interactions' });
  const skipDuplicates = opts.skipDuplicates ?? true;
  const hash = createHash('sha256');
  const stream = createReadStream(file);
  stream.on('data', (chunk) => hash.update(chunk));
  const rl = createInterface({ input: stream, crlfDelay: Infinity });
  const byUser = new Map<string, Interaction[]>();
  const seenKeys = new Map<string, Map<string, number>>();
  const users: string[] = [];
  const items = new Set<string>();
  const warnings: string[] = [];
  let split: Splitter | null = null;
  let format = '';
  let cols: Columns = { user: 0, item: 1, rating: -1, ts: -1 };
  let minFields = 2;
  let lineNo = 0;
  let interactions = 0;
  let duplicates = 0;
  let anyTs = false;
  for await (const raw of rl) {
    lineNo++;
    const line = lineNo === 1 ? raw.replace(/^\uFEFF/, '') : raw;
    if (line.trim() === '' || line.startsWith('#')) continue;
    if (!split) {
      const d = detectSplitter(line, file);
      split = d.split;
      format = d.format;
      const fields = split(line);
      const header = headerColumns(fields);
      if (header) {
        cols = header;
        minFields = Math.max(cols.user, cols.item, cols.rating, cols.ts) + 1;
        format += '+header';
        continue;
      }
      if (fields.length >= 3 && format !== 'whitespace') cols.rating = 2;
      if (fields.length >= 4 && format !== 'whitespace') cols.ts = 3;
      if (format === 'whitespace' && fields.length >= 3) {
        cols.rating = 2;
        if (fields.length >= 4) cols.ts = 3;
      }
    }
    const fields = split(line);
    if (fields.length < minFields)
      bad(
        file,
        lineNo,
        `expected at least ${minFields} columns (user, item${minFields > 2 ? ', …' : ''}), found ${fields.length}: "${line.slice(0, 80)}"`,
      );
    const user = (fields[cols.user] ?? '').trim();
    const item = (fields[cols.item] ?? '').trim();
    if (user === '') bad(file, lineNo, 'empty user id');
    if (item === '') bad(file, lineNo, 'empty item id');
    const rec: Interaction = { item, line: lineNo };
    if (cols.rating >= 0) {
      const r = (fields[cols.rating] ?? '').trim();
      if (!isNumeric(r)) bad(file, lineNo, `rating "${r.slice(0, 40)}" is not a number`);
      rec.rating = Number(r);
    }
    let tsKey = '';
    if (cols.ts >= 0) {
      const t = (fields[cols.ts] ?? '').trim();
      const n = isNumeric(t) ? Number(t) : Date.parse(t);
      if (!Number.isFinite(n)) bad(file, lineNo, `timestamp "${t.slice(0, 40)}" is neither a number nor a date`);
      rec.ts = n;
      tsKey = t;
      anyTs = true;
    }
    let list = byUser.get(user);
    let keys = seenKeys.get(user);
    if (!list || !keys) {
      list = [];
      keys = new Map();
      byUser.set(user, list);
      seenKeys.set(user, keys);
      users.push(user);
    }
    // Without a rating or timestamp a repeated item is a re-consumption, not a duplicate line.
    const key = `${item}\u0000${rec.rating ?? ''}\u0000${tsKey}`;
    const prev = cols.ts >= 0 || cols.rating >= 0 ? keys.get(key) : undefined;
    if (prev !== undefined) {
      if (!skipDuplicates) bad(file, lineNo, `duplicate of line ${prev} (user ${user}, item ${item})`);
      duplicates++;
      if (duplicates <= 3) warnings.push(`line ${lineNo} duplicates line ${prev} (user ${user}, item ${item}); skipped`);
      continue;
    }
    if (cols.ts >= 0 || cols.rating >= 0) keys.set(key, lineNo);
    list.push(rec);
    items.add(item);
    interactions++;
  }
  if (interactions === 0)
    throw new TastebudError('invalid-argument', `${file}: no interactions found (empty file or header only)`, { field: 'interactions' });
  if (duplicates > 3) warnings.push(`${duplicates} duplicate lines skipped in total`);
  if (anyTs) for (const list of byUser.values()) list.sort((a, b) => (a.ts ?? 0) - (b.ts ?? 0) || a.line - b.line);
  return {
    users,
    byUser,
    warnings,
    fingerprint: {
      file,
      sha256: hash.digest('hex'),
      bytes: st.size,
      lines: lineNo,
      interactions,
      users: users.length,
      items: items.size,
      format,
      duplicatesSkipped: duplicates,
    },
  };
}

/** Vocabulary: numeric ids ascending by value if all are numeric, else lexicographic. */
export function buildVocabulary(log: InteractionLog): string[] {
  const set = new Set<string>();
  for (const list of log.byUser.values()) for (const r of list) set.add(r.item);
  const ids = [...set];
  if (ids.every(isNumeric)) ids.sort((a, b) => Number(a) - Number(b) || (a < b ? -1 : a > b ? 1 : 0));
  else ids.sort();
  return ids;
}

export interface IndexedSequences {
  users: string[];
  /** Model item indices (1-based), oldest first. */
  seqs: Int32Array[];
  /** Interactions whose item is not in the vocabulary (eval on a foreign file). */
  unknown: number;
}

export function toSequences(log: InteractionLog, vocab: readonly string[]): IndexedSequences {
  const index = new Map<string, number>();
  vocab.forEach((id, i) => index.set(id, i + 1));
  let unknown = 0;
  const users: string[] = [];
  const seqs: Int32Array[] = [];
  for (const u of log.users) {
    const list = log.byUser.get(u) ?? [];
    const out: number[] = [];
    for (const r of list) {
      const k = index.get(r.item);
      if (k === undefined) unknown++;
      else out.push(k);
    }
    users.push(u);
    seqs.push(Int32Array.from(out));
  }
  return { users, seqs, unknown };
}

export interface LeaveOneOut {
  /** Training part (all but last two; whole sequence for users with < 3 items). */
  train: Int32Array[];
  /** Users with >= 3 items: index into seqs, valid and test targets. */
  evalUsers: number[];
}

export function leaveOneOut(seqs: readonly Int32Array[]): LeaveOneOut {
  const train: Int32Array[] = [];
  const evalUsers: number[] = [];
  seqs.forEach((s, u) => {
    if (s.length >= 3) {
      train.push(s.subarray(0, s.length - 2));
      evalUsers.push(u);
    } else train.push(s);
  });
  return { train, evalUsers };
}
