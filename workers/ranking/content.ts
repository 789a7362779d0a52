/**
 * Content similarity over item vectors (text or image encoder output): the
 * user's content profile, the content signal with "Because you liked X"
 * contributors, free-text search scores, and mean-centring. Pure Float32Array
 * math, no tfjs: one pass over n × dim per call, fast enough for 100k × 128.
 *
 * `itemVectors` is always n × dim row-major, one row per catalog index; a row
 * of zeros means "no content for this item" (it scores 0 and never contributes).
 */
import type { SignalScores } from './signals';

export interface ContentContributor {
  /** Catalog index of a liked history item. */
  index: number;
  /** Its (positive) event weight. */
  weight: number;
}

export interface ContentProfile {
  /** Unit-length taste direction, or null when the history gives none (no content, or likes and dislikes cancel). */
  vector: Float32Array | null;
  dim: number;
  /** Liked items with content, strongest weight first (ties: lower index), at most `maxContributors`. */
  contributors: ContentContributor[];
  /** Items with content that pulled (weight > 0) and pushed (weight < 0). */
  likes: number;
  dislikes: number;
  /** Every history item with content and its signed coefficient: the content score of x_j is Σ coef · cos(x_index, x_j). */
  terms: Array<{ index: number; coef: number }>;
}

export interface ContentProfileOptions {
  /** β in the formula below: how hard dislikes push, relative to likes (default 0.5). */
  dislikeWeight?: number;
  /** Liked items kept as candidate "Because you liked X" contributors (default 20). */
  maxContributors?: number;
}

export const DEFAULT_DISLIKE_WEIGHT = 0.5;
export const DEFAULT_MAX_CONTRIBUTORS = 20;

function rowNorm(v: Float32Array, row: number, dim: number): number {
  let s = 0;
  const o = row * dim;
  for (let d = 0; d < dim; d++) {
    const x = v[o + d]!;
    s += x * x;
  }
  return Math.sqrt(s);
}

function normalizeInPlace(v: Float32Array): number {
  let s = 0;
  for (let d = 0; d < v.length; d++) s += v[d]! * v[d]!;
  const norm = Math.sqrt(s);
  if (norm > 0) for (let d = 0; d < v.length; d++) v[d] = v[d]! / norm;
  return norm;
}

/**
 * The user's content profile from signed event weights (catalog index → weight;
 * likes > 0 pull, dislikes < 0 push):
 *
 *   P = Σ_{w>0} w · x̂_i      N = Σ_{w<0} |w| · x̂_i      (x̂: item row, unit length)
 *   v = P/‖P‖ − β · N/‖N‖    (a missing side is 0)
 *   vector = v / ‖v‖         (null when v = 0)
 *
 * so likes set the direction, and dislikes tilt it away from what was
 * disliked by a fixed share β whatever their number. With only dislikes the
 * profile points away from them. Indices outside 0..n−1 and items without
 * content (zero rows) are ignored.
 */
export function buildContentProfile(
  itemVectors: Float32Array,
  dim: number,
  weights: ReadonlyMap<number, number>,
  options: ContentProfileOptions = {},
): ContentProfile {
  const beta = options.dislikeWeight ?? DEFAULT_DISLIKE_WEIGHT;
  const maxContributors = options.maxContributors ?? DEFAULT_MAX_CONTRIBUTORS;
  const n = Math.floor(itemVectors.length / dim);
  const pos = new Float32Array(dim);
  const neg = new Float32Array(dim);
  const liked: ContentContributor[] = [];
  const raw: Array<{ index: number; weight: number }> = [];
  let likes = 0;
  let dislikes = 0;
  for (const [i, w] of weights) {
    if (!Number.isInteger(i) || i < 0 || i >= n || !Number.isFinite(w) || w === 0) continue;
    const norm = rowNorm(itemVectors, i, dim);
    if (norm === 0) continue;
    const target = w > 0 ? pos : neg;
    const f = Math.abs(w) / norm;
    const o = i * dim;
    for (let d = 0; d < dim; d++) target[d] = target[d]! + f * itemVectors[o + d]!;
    raw.push({ index: i, weight: w });
    if (w > 0) {
      likes++;
      liked.push({ index: i, weight: w });
    } else dislikes++;
  }
  const posNorm = normalizeInPlace(pos);
  const negNorm = normalizeInPlace(neg);
  const v = new Float32Array(dim);
  for (let d = 0; d < dim; d++) v[d] = pos[d]! - beta * neg[d]!;
  const norm = normalizeInPlace(v);
  liked.sort((a, b) => b.weight - a.weight || a.index - b.index);
  const vector = norm > 1e-6 ? v : null;
  const terms = vector
    ? raw.map(({ index, weight }) => ({
        index,
        coef: weight > 0 ? weight / (posNorm * norm) : (beta * weight) / (negNorm * norm),
      }))
    : [];
  return { vector, dim, contributors: liked.slice(0, Math.max(0, maxContributors)), likes, dislikes, terms };
}

/** L2 norm of every row (precompute once per catalogue and pass as `norms` to skip that work per call). */
export function rowNorms(vectors: Float32Array, dim: number, n: number): Float32Array {
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = rowNorm(vectors, i, dim);
  return out;
}

/** Cosine of `query` (length dim) with every row; zero rows and a zero query give 0. `norms`: from `rowNorms`. */
export function searchScores(
  queryVector: Float32Array,
  itemVectors: Float32Array,
  dim: number,
  n: number,
  norms?: Float32Array,
): Float32Array {
  const scores = new Float32Array(n);
  if (queryVector.length !== dim) throw new RangeError(`query has ${queryVector.length} dimensions, expected ${dim}`);
  if (norms && norms.length < n) throw new RangeError(`norms has ${norms.length} rows, expected ${n}`);
  let qn = 0;
  for (let d = 0; d < dim; d++) qn += queryVector[d]! * queryVector[d]!;
  qn = Math.sqrt(qn);
  if (qn === 0) return scores;
  for (let i = 0; i < n; i++) {
    const o = i * dim;
    let dot = 0;
    if (norms) {
      const xn = norms[i]!;
      if (xn === 0) continue;
      for (let d = 0; d < dim; d++) dot += itemVectors[o + d]! * queryVector[d]!;
      scores[i] = Math.max(-1, Math.min(1, dot / (qn * xn)));
    } else {
      let xx = 0;
      for (let d = 0; d < dim; d++) {
        const x = itemVectors[o + d]!;
        dot += x * queryVector[d]!;
        xx += x * x;
      }
      if (xx > 0) scores[i] = Math.max(-1, Math.min(1, dot / (qn * Math.sqrt(xx))));
    }
  }
  return scores;
}

export interface ContentSignalOptions {
  /** Compute `topContributor` (|contributors| × n × dim work); default true. */
  contributors?: boolean;
  /** Row norms from `rowNorms` (saves a pass per call). */
  norms?: Float32Array;
}

/**
 * scores[j] = cos(profile.vector, x_j) in [−1, 1] (0 for items without content
 * or with no profile). topContributor[j] = the profile contributor (liked
 * history item) whose vector is most similar to x_j, −1 when none is
 * positively similar; ties go to the stronger contributor.
 */
export function contentSignal(
  profile: ContentProfile,
  itemVectors: Float32Array,
  dim: number,
  n: number,
  options: ContentSignalOptions = {},
): SignalScores {
  const scores = profile.vector ? searchScores(profile.vector, itemVectors, dim, n, options.norms) : new Float32Array(n);
  const topContributor = new Int32Array(n).fill(-1);
  const attribute = (j: number): Map<number, number> =>
    new Map(
      profile.terms.filter((t) => t.index < n).map((t) => [t.index, t.coef * rowCosine(itemVectors, dim, t.index, j)] as [number, number]),
    );
  if (options.contributors === false || profile.contributors.length === 0) return { scores, topContributor, attribute };
  const cs = profile.contributors.filter((c) => c.index >= 0 && c.index < n);
  const unit = new Float32Array(cs.length * dim);
  cs.forEach((c, k) => {
    const norm = rowNorm(itemVectors, c.index, dim);
    if (norm > 0) for (let d = 0; d < dim; d++) unit[k * dim + d] = itemVectors[c.index * dim + d]! / norm;
  });
  const best = new Float32Array(n);
  for (let k = 0; k < cs.length; k++) {
    const ko = k * dim;
    for (let j = 0; j < n; j++) {
      const o = j * dim;
      let dot = 0;
      for (let d = 0; d < dim; d++) dot += unit[ko + d]! * itemVectors[o + d]!;
      // x_j's norm is the same for every k, so the largest dot is the largest cosine; strict > keeps the stronger contributor on ties.
      if (dot > best[j]!) {
        best[j] = dot;
        topContributor[j] = cs[k]!.index;
      }
    }
  }
  return { scores, topContributor, attribute };
}

/** Mean of the non-zero rows (the catalogue mean); zeros when there are none. */
export function meanVector(vectors: Float32Array, dim: number, n: number): Float32Array {
  const mean = new Float32Array(dim);
  let count = 0;
  for (let i = 0; i < n; i++) {
    if (rowNorm(vectors, i, dim) === 0) continue;
    count++;
    const o = i * dim;
    for (let d = 0; d < dim; d++) mean[d] = mean[d]! + vectors[o + d]!;
  }
  if (count > 0) for (let d = 0; d < dim; d++) mean[d] = mean[d]! / count;
  return mean;
}

/**
 * A new array: each non-zero row minus `mean` (default: the catalogue mean),
 * re-normalised to unit length; zero rows stay zero. Useful when all vectors
 * share a large common component (image features are all non-negative, so
 * their raw cosines are all high and rank poorly); see docs/experiments.md.
 */
export function centerVectors(
  vectors: Float32Array,
  dim: number,
  n: number,
  mean: Float32Array = meanVector(vectors, dim, n),
): Float32Array {
  if (mean.length !== dim) throw new RangeError(`mean has ${mean.length} dimensions, expected ${dim}`);
  const out = new Float32Array(n * dim);
  for (let i = 0; i < n; i++) {
    if (rowNorm(vectors, i, dim) === 0) continue;
    const o = i * dim;
    let s = 0;
    for (let d = 0; d < dim; d++) {
      const x = vectors[o + d]! - mean[d]!;
      out[o + d] = x;
      s += x * x;
    }
    const norm = Math.sqrt(s);
    if (norm > 0) for (let d = 0; d < dim; d++) out[o + d] = out[o + d]! / norm;
  }
  return out;
}

/** Cosine of rows a and b (0 when either is a zero row), e.g. as the MMR similarity. */
export function rowCosine(vectors: Float32Array, dim: number, a: number, b: number): number {
  let dot = 0;
  let aa = 0;
  let bb = 0;
  const oa = a * dim;
  const ob = b * dim;
  for (let d = 0; d < dim; d++) {
    const x = vectors[oa + d]!;
    const y = vectors[ob + d]!;
    dot += x * y;
    aa += x * x;
    bb += y * y;
  }
  return aa > 0 && bb > 0 ? dot / Math.sqrt(aa * bb) : 0;
}
