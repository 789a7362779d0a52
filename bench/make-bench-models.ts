/**
 * Writes the models the browser benchmark serves, into a git-ignored folder:
 * two SASRec models of the published shape (dim 64, maxLen 200, 2 blocks,
 * 1 head) with random weights — one over an ML-1M-sized vocabulary (3,706
 * items) and one over a synthetic 100k-item catalog — plus a copy of the
 * shipped text and image models. Latency does not depend on weight values
 * (the same ops run on the same shapes), so no training and no MovieLens.
 *   node --import tsx bench/make-bench-models.ts
 */
import { cpSync, existsSync, mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { writeSequenceModelDir } from '../training/model-dir';
import { sasrecParamShapes, type SasrecConfig } from '../workers/models/sequence/sasrec';
import { mulberry32 } from '../common/random';

const root = join(import.meta.dirname, '..');
/** Served as the bench page's public folder. */
export const BENCH_PUBLIC = join(root, 'bench/.models/browser-public');

export const BENCH_MODELS = [
  { name: 'sasrec-3706', items: 3706 },
  { name: 'sasrec-100k', items: 100_000 },
] as const;

/** Item ids of the synthetic catalogs: `i1` … `iN`, the same in the model vocabulary and the page. */
export function itemId(i: number): string {
  return `i${i + 1}`;
}

function writeSasrec(dir: string, numItems: number, seed: number): void {
  const config: SasrecConfig = { architecture: 'sasrec', numItems, dim: 64, maxLen: 200, blocks: 2, heads: 1, dropout: 0 };
  const rand = mulberry32(seed);
  const tensors = sasrecParamShapes(config).map(([name, shape]) => {
    const n = shape.reduce((a, b) => a * b, 1);
    const data = new Float32Array(n);
    const isGamma = name.endsWith('gamma');
    for (let i = 0; i < n; i++) data[i] = isGamma ? 1 : (rand() * 2 - 1) * 0.1;
    return { name, shape, data };
  });
  const vocab = Array.from({ length: numItems }, (_, i) => itemId(i));
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  writeSequenceModelDir(dir, config, tensors, vocab, { note: 'benchmark model: random weights of the published shape, not trained' });
}

/** Writes what is missing (pass force to rewrite). */
export function makeBenchModels(force = false): void {
  const models = join(BENCH_PUBLIC, 'models');
  BENCH_MODELS.forEach(({ name, items }, i) => {
    const dir = join(models, name);
    if (force || !existsSync(join(dir, 'manifest.json'))) writeSasrec(dir, items, 11 + i);
  });
  for (const kind of ['text', 'image']) {
    const dir = join(models, kind);
    if (force || !existsSync(join(dir, 'manifest.json'))) cpSync(join(root, 'public/models', kind), dir, { recursive: true });
  }
}

if (process.argv[1] && import.meta.filename === process.argv[1]) {
  makeBenchModels(true);
  console.log(`wrote ${BENCH_PUBLIC}/models`);
}
