/** Runs the vector index on a fixed data set and reports the kernel it got and whether its top-k is exact (see scan-csp.spec.ts). */
import { createVectorIndex } from '../../workers/ranking/scan/index';
import { topK } from '../../workers/ranking/topk';

const dim = 40;
const n = 5000;
// A fixed hash of the index, not a PRNG: enough spread for a top-k.
const value = (i: number): number => {
  const x = Math.sin(i * 12.9898 + 78.233) * 43758.5453;
  return x - Math.floor(x) - 0.5;
};
const vectors = Float32Array.from({ length: n * dim }, (_, i) => value(i));
const query = Float32Array.from({ length: dim }, (_, d) => value(n * dim + d));
const scores = new Float32Array(n);
for (let i = 0; i < n; i++) {
  let dot = 0;
  for (let d = 0; d < dim; d++) dot += vectors[i * dim + d]! * query[d]!;
  scores[i] = dot;
}
const want = topK(scores, 10);
const index = createVectorIndex(vectors, dim, { precision: 'int8' });
const got = Array.from(index.topK(query, 10).indices);
const result = { kernel: index.kernel, exact: got.join(',') === want.join(','), got, want };
(window as unknown as { scanResult: typeof result }).scanResult = result;
document.getElementById('status')!.textContent = 'done';
