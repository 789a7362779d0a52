/**
 * Cold-start benchmark on ML-1M (issue 5):
 *
 *   node --import tsx bench/cold-start.ts [--datasets ../shared/datasets]
 *
 * writes bench/results/cold-start-ml1m.json. Item vectors come from the
 * shipped text and image encoders (bench/content-data.ts, cached under
 * bench/.cache/). See docs/experiments.md for the protocol and numbers.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { centerVectors, rowNorms } from '../workers/ranking/content';
import { argValue, loadContentBench } from './content-data';
import {
  Acc,
  contentScores,
  distinctOthers,
  historyWeights,
  machine,
  mix,
  mulberry32,
  randomExpectation,
  rankOf,
  round,
  type ContentSpace,
  type HrNdcg,
} from './content-eval';
import { warmBlock } from './warm';

const { t0, log, data, text, image } = await loadContentBench();
const n = data.numItems;
const rows = n + 1;

const space = (name: string, dim: number, vectors: Float32Array): ContentSpace => ({
  name,
  dim,
  vectors,
  norms: rowNorms(vectors, dim, rows),
});
const spaces = {
  text: space('text', text.dim, text.vectors),
  textCentred: space('text, centred', text.dim, centerVectors(text.vectors, text.dim, rows)),
  image: space('image', image.dim, image.vectors),
  imageCentred: space('image, centred', image.dim, centerVectors(image.vectors, image.dim, rows)),
} satisfies Record<string, ContentSpace>;
type SpaceName = keyof typeof spaces;

// ---------- splits ----------
const COLD_SEED = 42;
const COLD_SHARE = 0.1;
const FOLDS = Math.max(1, Math.min(10, Number(argValue('--folds', '5'))));
/** Fold f holds out the f-th tenth of a seeded shuffle of the items (fold 0 is "the" 10% of the issue). */
const foldMasks: Uint8Array[] = [];
{
  const order = Array.from({ length: n }, (_, i) => i + 1);
  const rand = mulberry32(COLD_SEED);
  for (let i = order.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [order[i], order[j]] = [order[j]!, order[i]!];
  }
  const size = Math.round(COLD_SHARE * n);
  for (let f = 0; f < FOLDS; f++) {
    const mask = new Uint8Array(rows);
    for (const i of order.slice(f * size, (f + 1) * size)) mask[i] = 1;
    foldMasks.push(mask);
  }
}
const coldCount = foldMasks[0]!.reduce((a, b) => a + b, 0);

/** Training counts (all but the last two events of each user), without the items in `skip`. */
function trainCounts(skip?: Uint8Array): Float32Array {
  const c = new Float32Array(rows);
  for (const s of data.seqs) for (let p = 0; p < s.length - 2; p++) if (!skip?.[s[p]!]) c[s[p]!]! += 1;
  return c;
}
const counts = trainCounts();

interface Case {
  user: number;
  input: Int32Array;
  target: number;
  fold: number;
  cold?: Uint8Array;
}
function coldCases(cut: 1 | 2): Case[] {
  const out: Case[] = [];
  data.seqs.forEach((s, user) => {
    const target = s[s.length - cut]!;
    const fold = foldMasks.findIndex((m) => m[target] === 1);
    if (fold >= 0) out.push({ user, input: s.subarray(0, s.length - cut), target, fold, cold: foldMasks[fold] });
  });
  return out;
}
const coldValid = coldCases(2);
const coldTest = coldCases(1);
const fold0Test = coldTest.filter((c) => c.fold === 0).length;
log(
  `cold items: ${FOLDS} folds of ${coldCount} held-out items (seed ${COLD_SEED}); ${coldValid.length} validation users, ${coldTest.length} test users (${fold0Test} in fold 0)`,
);

// ---------- content variants ----------
const HALF_LIVES = [0, 20];
const ALPHAS = [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9];
type Fusion = 'raw' | 'z';
interface Variant {
  text: SpaceName | null;
  image: SpaceName | null;
  halfLife: number;
  fusion: Fusion;
  alpha: number;
}
const label = (v: Variant): string =>
  v.text && v.image
    ? `${v.text} + ${v.image}, half-life ${v.halfLife || '∞'}, ${v.fusion} fusion, α ${v.alpha}`
    : `${v.text ?? v.image}, half-life ${v.halfLife || '∞'}`;

function allVariants(): Variant[] {
  const out: Variant[] = [];
  for (const halfLife of HALF_LIVES) {
    for (const t of ['text', 'textCentred'] as const) out.push({ text: t, image: null, halfLife, fusion: 'raw', alpha: 1 });
    for (const i of ['image', 'imageCentred'] as const) out.push({ text: null, image: i, halfLife, fusion: 'raw', alpha: 0 });
    for (const t of ['text', 'textCentred'] as const) {
      for (const i of ['image', 'imageCentred'] as const) {
        for (const fusion of ['raw', 'z'] as const) for (const alpha of ALPHAS) out.push({ text: t, image: i, halfLife, fusion, alpha });
      }
    }
  }
  return out;
}

/** Standardises scores over items 1..n (mean 0, sd 1); a constant array gives zeros. */
function zscore(s: Float32Array): Float32Array {
  let mean = 0;
  for (let i = 1; i <= n; i++) mean += s[i]!;
  mean /= n;
  let v = 0;
  for (let i = 1; i <= n; i++) v += (s[i]! - mean) ** 2;
  const sd = Math.sqrt(v / n);
  const out = new Float32Array(s.length);
  if (sd > 0) for (let i = 1; i <= n; i++) out[i] = (s[i]! - mean) / sd;
  return out;
}

/** Per-case scorer: one content pass per (space, half-life), then variants are cheap mixes. */
function scorer(c: Case): (v: Variant) => Float32Array {
  const cache = new Map<string, Float32Array>();
  const weights = new Map<number, Map<number, number>>();
  const base = (space: SpaceName, hl: number, z: boolean): Float32Array => {
    const key = `${space}|${hl}|${z}`;
    let out = cache.get(key);
    if (out) return out;
    if (z) out = zscore(base(space, hl, false));
    else {
      let w = weights.get(hl);
      if (!w) {
        w = historyWeights(c.input, hl, c.cold ? (i) => c.cold![i] === 1 : undefined);
        weights.set(hl, w);
      }
      out = contentScores(spaces[space], w, rows);
    }
    cache.set(key, out);
    return out;
  };
  return (v) => {
    if (v.text && v.image) return mix(base(v.text, v.halfLife, v.fusion === 'z'), base(v.image, v.halfLife, v.fusion === 'z'), v.alpha);
    return base((v.text ?? v.image)!, v.halfLife, false);
  };
}

function evalVariants(cases: Case[], variants: Variant[]): Map<string, { v: Variant; m: HrNdcg }> {
  const accs = new Map(variants.map((v) => [label(v), { v, acc: new Acc() }]));
  for (const c of cases) {
    const score = scorer(c);
    for (const e of accs.values()) e.acc.add(rankOf(score(e.v), c.target, c.input, n));
  }
  return new Map([...accs].map(([k, { v, acc }]) => [k, { v, m: acc.result() }]));
}

function best(results: Map<string, { v: Variant; m: HrNdcg }>, pred: (v: Variant) => boolean): Variant {
  let top: { v: Variant; m: HrNdcg } | null = null;
  for (const r of results.values()) if (pred(r.v) && (!top || r.m.ndcg10 > top.m.ndcg10)) top = r;
  return top!.v;
}

function evalScores(cases: Case[], scoresFor: (c: Case) => Float32Array): HrNdcg {
  const acc = new Acc();
  for (const c of cases) acc.add(rankOf(scoresFor(c), c.target, c.input, n));
  return acc.result();
}
function evalRandom(cases: Case[]): HrNdcg {
  const acc = new Acc();
  for (const c of cases) {
    const e = randomExpectation(n - distinctOthers(c.input, c.target));
    acc.addExpected(e.hr, e.ndcg);
  }
  return acc.result();
}

// ---------- cold items ----------
const variants = allVariants();
const validResults = evalVariants(coldValid, variants);
log(`validation: ${validResults.size} content variants`);
const pick = {
  text: best(validResults, (v) => v.image === null),
  image: best(validResults, (v) => v.text === null),
  textImage: best(validResults, (v) => v.text !== null && v.image !== null),
};
log(`chosen on validation: text = ${label(pick.text)}; image = ${label(pick.image)}; text+image = ${label(pick.textImage)}`);
const testResults = evalVariants(coldTest, variants);
const foldCounts = foldMasks.map((m) => trainCounts(m));
const coldBlock = (
  cases: Case[],
  results: Map<string, { v: Variant; m: HrNdcg }>,
): Record<'text' | 'image' | 'textImage' | 'popularity' | 'random', HrNdcg> => ({
  text: results.get(label(pick.text))!.m,
  image: results.get(label(pick.image))!.m,
  textImage: results.get(label(pick.textImage))!.m,
  popularity: evalScores(cases, (c) => foldCounts[c.fold]!),
  random: evalRandom(cases),
});
const coldItems = coldBlock(coldTest, testResults);
const fold0Cases = coldTest.filter((c) => c.fold === 0);
const coldItemsFold0 = coldBlock(fold0Cases, evalVariants(fold0Cases, [pick.text, pick.image, pick.textImage]));
log(`cold items (test, ${FOLDS} folds): ${JSON.stringify(coldItems)}`);

// ---------- new users: first 3 events, target = 4th ----------
const NEW_USER_EVENTS = 3;
/** Popularity for a new user: training counts minus the user's own training events. */
function popularityWithout(s: Int32Array): Float32Array {
  const c = Float32Array.from(counts);
  for (let p = 0; p < s.length - 2; p++) c[s[p]!]! -= 1;
  return c;
}
const scaledLogPop = (c: Float32Array): Float32Array => {
  const out = new Float32Array(c.length);
  let max = 0;
  for (let i = 0; i < c.length; i++) {
    out[i] = Math.log1p(Math.max(0, c[i]!));
    max = Math.max(max, out[i]!);
  }
  if (max > 0) for (let i = 0; i < c.length; i++) out[i] = out[i]! / max;
  return out;
};
function newUserCases(events: number): Case[] {
  return data.seqs
    .map((s, user) => ({ user, input: s.subarray(0, events), target: s[events]!, fold: -1 }))
    .filter((c) => data.seqs[c.user]!.length > events);
}
const contentFor = (v: Variant, input: Int32Array): Float32Array => scorer({ user: -1, input, target: 0, fold: -1 })(v);
const GAMMAS = [0, 0.1, 0.2, 0.5, 1, 2, 3, 5, 7, 10, 15, 20, 30];
function evalNewUsers(cases: Case[]): {
  content: HrNdcg;
  text: HrNdcg;
  image: HrNdcg;
  popularity: HrNdcg;
  random: HrNdcg;
  hybrid: Map<number, HrNdcg>;
} {
  const acc = { content: new Acc(), text: new Acc(), image: new Acc(), popularity: new Acc() };
  const hyb = new Map(GAMMAS.map((g) => [g, new Acc()]));
  const s = new Float32Array(rows);
  for (const c of cases) {
    const score = scorer(c);
    const content = score(pick.textImage);
    const pop = popularityWithout(data.seqs[c.user]!);
    acc.content.add(rankOf(content, c.target, c.input, n));
    acc.text.add(rankOf(score(pick.text), c.target, c.input, n));
    acc.image.add(rankOf(score(pick.image), c.target, c.input, n));
    acc.popularity.add(rankOf(pop, c.target, c.input, n));
    const lp = scaledLogPop(pop);
    for (const [g, a] of hyb) {
      for (let i = 0; i < rows; i++) s[i] = content[i]! + g * lp[i]!;
      a.add(rankOf(s, c.target, c.input, n));
    }
  }
  return {
    content: acc.content.result(),
    text: acc.text.result(),
    image: acc.image.result(),
    popularity: acc.popularity.result(),
    random: evalRandom(cases),
    hybrid: new Map([...hyb].map(([g, a]) => [g, a.result()])),
  };
}
const nuValid = evalNewUsers(newUserCases(NEW_USER_EVENTS - 1));
let gamma = 0;
for (const [g, m] of nuValid.hybrid) if (m.ndcg10 > nuValid.hybrid.get(gamma)!.ndcg10) gamma = g;
const nuTest = evalNewUsers(newUserCases(NEW_USER_EVENTS));
const newUsers = {
  content: nuTest.content,
  popularity: nuTest.popularity,
  contentPlusPopularity: { ...nuTest.hybrid.get(gamma)!, popularityWeight: gamma },
  textOnly: nuTest.text,
  imageOnly: nuTest.image,
  random: nuTest.random,
};
log(`new users (test): ${JSON.stringify(newUsers)}`);

// ---------- warm items (needs a trained sequence model) ----------
const warm = process.argv.includes('--no-warm')
  ? { result: null, note: 'skipped (--no-warm)' }
  : await warmBlock({
      data,
      counts,
      content: (input) => contentFor(pick.textImage, input),
      log,
      modelDir: argValue('--sequence-model', '') || undefined,
    });
log(`warm: ${JSON.stringify(warm.result)}`);

// ---------- write ----------
const describeVariant = (v: Variant): Record<string, unknown> => ({
  textSpace: v.text,
  imageSpace: v.image,
  recencyHalfLife: v.halfLife || null,
  ...(v.text && v.image ? { fusion: v.fusion, textWeight: v.alpha } : {}),
});
const out = {
  coldItems,
  warm: warm.result,
  newUsers,
  protocol: {
    dataset: `MovieLens 1M (sequences.txt, items 1..${n} in ascending MovieID order)`,
    split:
      'leave-one-out per user: last event = test, second-to-last = validation, rest = train; full ranking over all items, items of the input sequence masked (never the target), rank = other items scoring >= the target (ties count against it); metrics averaged over the evaluated users',
    coldItems: `a seeded shuffle (seed ${COLD_SEED}) of the ${n} items cut into tenths; fold f holds out tenth f (${coldCount} items, ${COLD_SHARE * 100}%) from training entirely (popularity count 0, never in a content profile). Evaluated on every user whose test item is held out in one of the first ${FOLDS} folds (disjoint users, pooled: coldItems; fold 0 alone: coldItemsFold0): input = all events but the last, content profile from its items that are not held out (each event weight 1, or recency-decayed if chosen on validation), ranking among all ${n} items. Settings (centring, recency, fusion, text weight) chosen on the users whose validation item is held out (input = all but the last two events).`,
    random: 'exact expectation of a uniformly random ranking of the unmasked items',
    popularity: "training-event counts without the fold's held-out items (so a held-out target always ranks last among ties)",
    newUsers: `every user truncated to the first ${NEW_USER_EVENTS} events, target = event ${NEW_USER_EVENTS + 1}; those ${NEW_USER_EVENTS} events masked; popularity = training counts minus the user's own training events; content = the text+image setting chosen on cold-item validation; contentPlusPopularity = content + w · log1p(count)/max, w chosen on validation (first ${NEW_USER_EVENTS - 1} events → event ${NEW_USER_EVENTS})`,
    fusion:
      'text+image score = α · text + (1 − α) · image, where each is cos(profile, item) ("raw") or that cosine standardised over the catalogue for this user ("z")',
    contentProfile:
      'buildContentProfile from workers/ranking/content.ts: normalised weighted centroid of the history vectors; contentSignal = cosine with it',
    itemText: 'title (year) + genres + plot from ml-100k-plots joined by normalised title',
  },
  coldItemsFold0: coldItemsFold0,
  chosen: { text: describeVariant(pick.text), image: describeVariant(pick.image), textImage: describeVariant(pick.textImage) },
  coldItemVariants: [...testResults.values()].map(({ v, m }) => ({
    setting: label(v),
    validation: validResults.get(label(v))!.m,
    test: m,
  })),
  newUsersPopularityWeights: Object.fromEntries(
    [...nuValid.hybrid].map(([g, m]) => [String(g), { validation: m.ndcg10, test: nuTest.hybrid.get(g)!.ndcg10 }]),
  ),
  counts: {
    users: data.seqs.length,
    items: n,
    coldItemsPerFold: coldCount,
    folds: FOLDS,
    coldTestUsers: coldTest.length,
    coldTestUsersFold0: fold0Test,
    coldValidationUsers: coldValid.length,
    itemsWithText: text.covered,
    itemsWithPlot: data.plots,
    itemsWithPoster: image.covered,
    newUsers: nuTest.content.users,
  },
  warmNote: warm.note,
  encoders: {
    textDim: text.dim,
    imageDim: image.dim,
    imageEncodeSeconds: image.cached ? 'cached' : round(image.seconds, 1),
    textEncodeSeconds: text.cached ? 'cached' : round(text.seconds, 1),
  },
  machine: machine(),
  date: new Date().toISOString(),
  seconds: round((performance.now() - t0) / 1000, 1),
  command: `node --import tsx bench/cold-start.ts${process.argv.slice(2).length ? ` ${process.argv.slice(2).join(' ')}` : ''}`,
};
mkdirSync(new URL('results/', import.meta.url), { recursive: true });
writeFileSync(new URL('results/cold-start-ml1m.json', import.meta.url), `${JSON.stringify(out, null, 2)}\n`);
log('wrote bench/results/cold-start-ml1m.json');
