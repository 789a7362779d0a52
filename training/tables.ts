/**
 * Popularity counts and item-to-item co-occurrence from the ordered interaction
 * log: the tables `tastebud blend` fits against and the demo catalog ships.
 */
import { readFileSync } from 'node:fs';

export interface Tables {
  popularity: { counts: Record<string, number> };
  cooccurrence: { neighbors: Record<string, Array<[string, number]>> };
}

/** Items rated within this many steps of each other count as watched together. */
const WINDOW = 5;
const NEIGHBORS = 20;

/**
 * Per-user item sequences in time order, from `sequences.txt` (`userId movieId`
 * lines, already ordered) or GroupLens' `ratings.dat` (`user::item::rating::time`).
 */
export function readSequences(file: string): string[][] {
  const byUser = new Map<string, Array<{ item: string; time: number }>>();
  let line = 0;
  for (const raw of readFileSync(file, 'utf8').split('\n')) {
    const fields = raw.includes('::') ? raw.trim().split('::') : raw.trim().split(/\s+/);
    const [user, item, , time] = fields;
    if (user === undefined || item === undefined || user === '') continue;
    let seq = byUser.get(user);
    if (!seq) {
      seq = [];
      byUser.set(user, seq);
    }
    seq.push({ item, time: time === undefined ? line : Number(time) });
    line++;
  }
  // Stable sort: equal timestamps keep file order.
  return [...byUser.values()].map((seq) => seq.sort((a, b) => a.time - b.time).map((e) => e.item));
}

export function buildTables(sequences: readonly string[][]): Tables {
  const index = new Map<string, number>();
  const ids: string[] = [];
  for (const seq of sequences)
    for (const id of seq)
      if (!index.has(id)) {
        index.set(id, ids.length);
        ids.push(id);
      }
  const n = ids.length;
  const counts = new Float64Array(n);
  const pairs = new Float32Array(n * n);
  for (const seq of sequences) {
    const idx = seq.map((id) => index.get(id) as number);
    for (let i = 0; i < idx.length; i++) {
      const a = idx[i] as number;
      counts[a] = (counts[a] as number) + 1;
      for (let j = i + 1; j < Math.min(idx.length, i + 1 + WINDOW); j++) {
        const b = idx[j] as number;
        if (a === b) continue;
        pairs[a * n + b] = (pairs[a * n + b] as number) + 1;
        pairs[b * n + a] = (pairs[b * n + a] as number) + 1;
      }
    }
  }
  const popularity: Record<string, number> = {};
  ids.forEach((id, i) => {
    popularity[id] = counts[i] as number;
  });
  const neighbors: Record<string, Array<[string, number]>> = {};
  for (let a = 0; a < n; a++) {
    // Cosine-style normalisation so blockbusters do not neighbour everything.
    const scored: Array<[number, number]> = [];
    for (let b = 0; b < n; b++) {
      const c = pairs[a * n + b] as number;
      if (c >= 2) scored.push([b, c / Math.sqrt((counts[a] as number) * (counts[b] as number))]);
    }
    scored.sort((x, y) => y[1] - x[1]);
    const top = scored.slice(0, NEIGHBORS).map(([b, w]): [string, number] => [ids[b] as string, Math.round(w * 1e4) / 1e4]);
    if (top.length > 0) neighbors[ids[a] as string] = top;
  }
  return { popularity: { counts: popularity }, cooccurrence: { neighbors } };
}
