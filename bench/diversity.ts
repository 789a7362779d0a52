/**
 * Diversity trade-off of the content recommender on ML-1M (issue 5):
 *
 *   node --import tsx bench/diversity.ts [--datasets ../shared/datasets]
 *
 * writes bench/results/diversity-ml1m.json. Setting: the new-user protocol of
 * bench/cold-start.ts (each user's first 3 events → the 4th, those 3 masked),
 * content = text+image cosine with the setting chosen there (read from
 * bench/results/cold-start-ml1m.json when present). The top 50 by content go
 * through `mmr` from workers/ranking/rank.ts with similarity = the same
 * content cosine, for diversity ∈ {0, 0.25, 0.5, 0.75}.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { centerVectors, rowCosine, rowNorms } from '../workers/ranking/content';
import { mmr } from '../workers/ranking/rank';
import { tagJaccard } from '../workers/ranking/signals';
import { topK } from '../workers/ranking/topk';
import { loadContentBench } from './content-data';
import { contentScores, historyWeights, machine, mix, round, type ContentSpace } from './content-eval';

const { t0, log, data, text, image } = await loadContentBench();
const n = data.numItems;
const rows = n + 1;

interface Chosen {
  textSpace: string;
  imageSpace: string;
  recencyHalfLife: number | null;
  textWeight: number;
}
let chosen: Chosen = { textSpace: 'textCentred', imageSpace: 'imageCentred', recencyHalfLife: null, textWeight: 0.5 };
const coldFile = new URL('results/cold-start-ml1m.json', import.meta.url);
let chosenFrom = 'default (no cold-start results found)';
if (existsSync(coldFile)) {
  const c = (JSON.parse(readFileSync(coldFile, 'utf8')) as { chosen?: { textImage?: Chosen } }).chosen?.textImage;
  if (c) {
    chosen = c;
    chosenFrom = 'bench/results/cold-start-ml1m.json (chosen on cold-item validation)';
  }
}
const spaceOf = (name: string): ContentSpace => {
  const [dim, raw] = name.startsWith('text') ? [text.dim, text.vectors] : [image.dim, image.vectors];
  const vectors = name.endsWith('Centred') ? centerVectors(raw, dim, rows) : raw;
  return { name, dim, vectors, norms: rowNorms(vectors, dim, rows) };
};
const ts = spaceOf(chosen.textSpace);
const is = spaceOf(chosen.imageSpace);
const alpha = chosen.textWeight;
const sim = (a: number, b: number): number =>
  alpha * rowCosine(ts.vectors, ts.dim, a, b) + (1 - alpha) * rowCosine(is.vectors, is.dim, a, b);

// popularity: training counts (all but the last two events); long tail = outside the top 20% of items
const counts = new Float32Array(rows);
for (const s of data.seqs) for (let p = 0; p < s.length - 2; p++) counts[s[p]!]! += 1;
const byPop = Array.from({ length: n }, (_, i) => i + 1).sort((a, b) => counts[b]! - counts[a]! || a - b);
const head = new Set(byPop.slice(0, Math.round(0.2 * n)));

const EVENTS = 3;
const K = 10;
const POOL = 50;
const DIVERSITY = [0, 0.25, 0.5, 0.75];
interface Acc {
  ndcg: number;
  hr: number;
  ils: number;
  genreIls: number;
  tail: number;
  lists: number;
  items: Set<number>;
}
const accs = new Map<number, Acc>(DIVERSITY.map((d) => [d, { ndcg: 0, hr: 0, ils: 0, genreIls: 0, tail: 0, lists: 0, items: new Set() }]));
const newAcc = (): Acc => ({ ndcg: 0, hr: 0, ils: 0, genreIls: 0, tail: 0, lists: 0, items: new Set() });
const popAcc: Acc = newAcc();
/** content + w · log1p(count)/max: w = the new-user weight chosen in cold-start, and lower weights (the popularity-bias knob). */
let hybridWeight = 10;
if (existsSync(coldFile)) {
  const w = (JSON.parse(readFileSync(coldFile, 'utf8')) as { newUsers?: { contentPlusPopularity?: { popularityWeight?: number } } })
    .newUsers?.contentPlusPopularity?.popularityWeight;
  if (typeof w === 'number') hybridWeight = w;
}
const POP_WEIGHTS = [...new Set([hybridWeight, hybridWeight / 2, hybridWeight / 5, hybridWeight / 10, 0])];
const hybAccs = new Map<number, Acc>(DIVERSITY.map((d) => [d, newAcc()]));
const liftAccs = new Map<number, Acc>(POP_WEIGHTS.map((w) => [w, newAcc()]));

function record(acc: Acc, list: number[], target: number, pairSim: (a: number, b: number) => number): void {
  acc.lists++;
  const pos = list.indexOf(target);
  if (pos >= 0) {
    acc.hr++;
    acc.ndcg += 1 / Math.log2(pos + 2);
  }
  let s = 0;
  let g = 0;
  let pairs = 0;
  for (let a = 0; a < list.length; a++) {
    for (let b = a + 1; b < list.length; b++) {
      s += pairSim(list[a]!, list[b]!);
      g += tagJaccard(data.genres[list[a]!]!, data.genres[list[b]!]!);
      pairs++;
    }
  }
  acc.ils += pairs ? s / pairs : 0;
  acc.genreIls += pairs ? g / pairs : 0;
  acc.tail += list.filter((i) => !head.has(i)).length / Math.max(1, list.length);
  for (const i of list) acc.items.add(i);
}

const popScores = counts;
// Per-user popularity would drop the user's own events (as in cold-start.ts); one count in ~1M changes nothing visible here.
const logPop = new Float32Array(rows);
{
  let max = 0;
  for (let i = 1; i < rows; i++) {
    logPop[i] = Math.log1p(counts[i]!);
    max = Math.max(max, logPop[i]!);
  }
  for (let i = 1; i < rows; i++) logPop[i] = logPop[i]! / (max || 1);
}
let users = 0;
for (const s of data.seqs) {
  if (s.length <= EVENTS) continue;
  users++;
  const input = s.subarray(0, EVENTS);
  const target = s[EVENTS]!;
  const seen = new Set(input);
  const w = historyWeights(input, chosen.recencyHalfLife ?? 0);
  const scores = mix(contentScores(ts, w, rows), contentScores(is, w, rows), alpha);
  const allowed = (i: number): boolean => i > 0 && !seen.has(i);
  const pool = topK(scores, POOL, allowed);
  const pairCache = new Map<number, number>();
  const cached = (a: number, b: number): number => {
    const key = a < b ? a * rows + b : b * rows + a;
    let v = pairCache.get(key);
    if (v === undefined) {
      v = sim(a, b);
      pairCache.set(key, v);
    }
    return v;
  };
  for (const d of DIVERSITY) record(accs.get(d)!, mmr(pool, scores, K, d, cached), target, cached);
  record(popAcc, topK(popScores, K, allowed), target, cached);
  for (const pw of POP_WEIGHTS) {
    const hybrid = new Float32Array(rows);
    for (let i = 1; i < rows; i++) hybrid[i] = scores[i]! + pw * logPop[i]!;
    const hPool = topK(hybrid, POOL, allowed);
    if (pw === hybridWeight) for (const d of DIVERSITY) record(hybAccs.get(d)!, mmr(hPool, hybrid, K, d, cached), target, cached);
    record(liftAccs.get(pw)!, hPool.slice(0, K), target, cached);
  }
  if (users % 1000 === 0) log(`${users} users`);
}

const summary = (a: Acc): Record<string, number> => ({
  ndcg10: round(a.ndcg / a.lists),
  hr10: round(a.hr / a.lists),
  intraListSimilarity: round(a.ils / a.lists),
  intraListGenreJaccard: round(a.genreIls / a.lists),
  catalogCoverage: round(a.items.size / n),
  longTailShare: round(a.tail / a.lists),
});
const out = {
  content: DIVERSITY.map((d) => ({ diversity: d, ...summary(accs.get(d)!) })),
  contentPlusPopularity: DIVERSITY.map((d) => ({ diversity: d, popularityWeight: hybridWeight, ...summary(hybAccs.get(d)!) })),
  popularityWeightSweep: POP_WEIGHTS.map((w) => ({ popularityWeight: w, diversity: 0, ...summary(liftAccs.get(w)!) })),
  popularity: summary(popAcc),
  protocol: {
    users: `every user's first ${EVENTS} events → event ${EVENTS + 1} (${users} users); the ${EVENTS} events masked`,
    recommender: `content: ${alpha} · cos(text) + ${round(1 - alpha, 2)} · cos(image) with ${chosen.textSpace} / ${chosen.imageSpace} vectors; setting from ${chosenFrom}`,
    contentPlusPopularity: `content + w · log1p(training count)/max with w = ${hybridWeight} (the new-user weight chosen on validation in cold-start-ml1m.json); popularityWeightSweep lowers w at diversity 0 to show the long-tail / NDCG trade-off`,
    diversity: `top ${POOL} by content, then mmr(pool, scores, ${K}, diversity, similarity = the same content cosine) from workers/ranking/rank.ts`,
    intraListSimilarity: 'mean pairwise content cosine (the MMR similarity) within each top-10, averaged over users',
    intraListGenreJaccard: 'mean pairwise Jaccard of the ML-1M genres within each top-10 (an independent view of variety)',
    catalogCoverage: `distinct items in any user's top-10 / ${n}`,
    longTailShare: 'share of top-10 items outside the 20% most popular items (training counts)',
  },
  machine: machine(),
  date: new Date().toISOString(),
  seconds: round((performance.now() - t0) / 1000, 1),
  command: 'node --import tsx bench/diversity.ts [--datasets ../shared/datasets]',
};
mkdirSync(new URL('results/', import.meta.url), { recursive: true });
writeFileSync(new URL('results/diversity-ml1m.json', import.meta.url), `${JSON.stringify(out, null, 2)}\n`);
log(`wrote bench/results/diversity-ml1m.json: ${JSON.stringify(out.content)}`);
