/**
 * Free-text search: the k items whose vectors are most cosine-similar to the
 * query vector (positive scores only). Small catalogues take one plain scan
 * (content.ts `searchScores`); a large one that is searched again (typing,
 * paging) gets an int8 WASM index (scan/), built once per matrix and reused
 * while the catalogue is unchanged. Both paths return the same items and
 * scores: the index re-ranks exactly and widens until the top-k is proven.
 */
import { searchScores } from './content';
import { topK } from './topk';
import { createVectorIndex, type VectorIndex } from './scan/index';

/** From here on, a repeated search builds the index (docs/performance.md: the scan is several times faster from ~10k items; the build costs about ten plain searches). */
export const INDEXED_SEARCH_MIN_ITEMS = 20_000;

export interface SearchHit {
  index: number;
  score: number;
}

const searchesByMatrix = new WeakMap<Float32Array, number>();
const indexByMatrix = new WeakMap<Float32Array, VectorIndex>();

function indexFor(matrix: Float32Array, dim: number, n: number, minItems: number): VectorIndex | null {
  if (n < minItems || matrix.length !== n * dim) return null;
  const cached = indexByMatrix.get(matrix);
  if (cached) return cached;
  // The first search of a matrix scans: a one-off query should not pay for an index.
  const seen = (searchesByMatrix.get(matrix) ?? 0) + 1;
  searchesByMatrix.set(matrix, seen);
  if (seen < 2) return null;
  const index = createVectorIndex(matrix, dim, { precision: 'int8', metric: 'cosine' });
  indexByMatrix.set(matrix, index);
  return index;
}

/** `matrix` is n × dim (one row per catalogue index) and must not change while it is searched; `excluded(i)` drops rows. */
export function searchTopK(
  query: Float32Array,
  matrix: Float32Array,
  dim: number,
  n: number,
  k: number,
  excluded: (index: number) => boolean,
  minItems = INDEXED_SEARCH_MIN_ITEMS,
): SearchHit[] {
  const index = indexFor(matrix, dim, n, minItems);
  if (index) {
    const { indices, scores } = index.topK(query, k, (i) => !excluded(i));
    // Rows are best first, so the positive ones are exactly the top positive rows.
    const hits: SearchHit[] = [];
    for (let j = 0; j < indices.length && scores[j]! > 0; j++) hits.push({ index: indices[j]!, score: scores[j]! });
    return hits;
  }
  const scores = searchScores(query, matrix, dim, n);
  return topK(scores, k, (i) => scores[i]! > 0 && !excluded(i)).map((i) => ({ index: i, score: scores[i]! }));
}
