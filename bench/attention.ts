/**
 * Training-step time with the attention kernel's WASM SIMD loops against its
 * plain-JS loops, on real ML-1M batches (tfjs-wasm, one thread, as the CLI trains):
 *
 *   node --import tsx bench/attention.ts [--interactions ml-1m] [--data-dir ../shared/datasets]
 *     [--max-len 100,200] [--block sasrec|ligr] [--batches 12] [--rounds 3] [--json bench/results/attention.json]
 *
 * Per round, the same batches (spread over the length buckets, random
 * windows as in training) are timed forward + backward, once per kernel,
 * alternating, after two untimed warm-up steps each; the report gives each
 * round's total and the median. Weights are not updated, so both kernels do
 * the same work. Also times the attention kernel alone on a full [64, L, 64] batch.
 */
import { writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { parseArgs } from 'node:util';
import * as tf from '@tensorflow/tfjs';
import { resolveInteractions } from '../cli/args';
import { setupBackend } from '../training/backend';
import { buildVocabulary, leaveOneOut, readInteractions, toSequences } from '../training/data';
import { causalAttention } from '../workers/models/sequence/attention';
import { forceAttentionLoops } from '../workers/models/sequence/attention-loops';
import { initParams } from '../training/sequence/model';
import type { SasrecConfig } from '../workers/models/sequence/sasrec';
import { batchLoss, makeBatches, type Batch } from '../training/sequence/train';
import { mulberry32 } from '../common/random';

const { values } = parseArgs({
  options: {
    interactions: { type: 'string', default: 'ml-1m' },
    'data-dir': { type: 'string' },
    'max-len': { type: 'string', default: '100,200' },
    block: { type: 'string', default: 'sasrec' },
    batches: { type: 'string', default: '12' },
    rounds: { type: 'string', default: '3' },
    json: { type: 'string', default: 'bench/results/attention.json' },
  },
});
const maxLens = (values['max-len'] as string).split(',').map(Number);
const block = values.block === 'ligr' ? 'ligr' : 'sasrec';
const nBatches = Number(values.batches);
const rounds = Number(values.rounds);
type Kernel = 'simd' | 'js';
const KERNELS: Kernel[] = ['simd', 'js'];
const use = (k: Kernel): void => {
  forceAttentionLoops(k === 'js' ? 'js' : undefined);
};
const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] as number;
};

const backend = await setupBackend('wasm');
const file = resolveInteractions(values.interactions as string, values['data-dir']);
const log = await readInteractions(file);
const vocab = buildVocabulary(log);
const { train } = leaveOneOut(toSequences(log, vocab).seqs);
function measure(maxLen: number) {
  const config: SasrecConfig = {
    architecture: 'sasrec',
    numItems: vocab.length,
    dim: 64,
    maxLen,
    blocks: 2,
    heads: 1,
    dropout: block === 'ligr' ? 0.2 : 0.1,
    attentionDropout: 0.1,
    positions: 'from-start',
    relativeBias: true,
    ...(block === 'ligr' ? { block: 'ligr' as const, ffMultiplier: 4 } : {}),
  };
  const params = initParams(config, 1, 'normal');
  const all = makeBatches(train, maxLen, 64, mulberry32(7), 'random');
  const picked: Batch[] = Array.from({ length: nBatches }, (_, i) => all[Math.floor(((i + 0.5) * all.length) / nBatches)] as Batch);
  const tokens = picked.reduce((s, b) => s + b.batch * b.len, 0);

  function step(b: Batch): void {
    const { value, grads } = tf.variableGrads(() => batchLoss(params, config, b, 0, mulberry32(3)));
    value.dataSync();
    value.dispose();
    tf.dispose(grads);
  }

  function timeSteps(): number {
    const t0 = performance.now();
    for (const b of picked) step(b);
    return (performance.now() - t0) / 1000;
  }

  function timeKernel(): number {
    const B = 64;
    const D = 64;
    const lengths = Int32Array.from({ length: B }, () => maxLen);
    return tf.tidy(() => {
      const [q, k, v, w] = [1, 2, 3, 4].map((s) => tf.randomNormal([B, maxLen, D], 0, 1, 'float32', s));
      const bias = tf.zeros([1, maxLen]);
      const f = (a: tf.Tensor, b: tf.Tensor, c: tf.Tensor): tf.Tensor =>
        tf.sum(tf.mul(causalAttention(a, b, c, lengths, 1, false, { rate: 0.1, random: mulberry32(1) }, bias).out, w as tf.Tensor));
      tf.grads(f)([q as tf.Tensor, k as tf.Tensor, v as tf.Tensor]).forEach((g) => g.dataSync());
      const t0 = performance.now();
      for (let r = 0; r < 3; r++) tf.grads(f)([q as tf.Tensor, k as tf.Tensor, v as tf.Tensor]).forEach((g) => g.dataSync());
      return (performance.now() - t0) / 3 / 1000;
    });
  }

  const steps: Record<Kernel, number[]> = { simd: [], js: [] };
  const kernel: Record<Kernel, number[]> = { simd: [], js: [] };
  for (const k of KERNELS) {
    use(k);
    step(picked[0] as Batch);
    step(picked[nBatches - 1] as Batch);
  }
  for (let r = 0; r < rounds; r++) {
    for (const k of KERNELS) {
      use(k);
      steps[k].push(timeSteps());
      kernel[k].push(timeKernel());
      console.log(
        `round ${r + 1} ${k}: ${nBatches} steps ${steps[k].at(-1)?.toFixed(2)} s, kernel alone ${((kernel[k].at(-1) as number) * 1000).toFixed(0)} ms`,
      );
    }
  }
  use('simd');
  params.forEach((v) => v.dispose());
  const r3 = (x: number): number => Math.round(x * 1000) / 1000;
  return {
    what: `forward + backward of ${nBatches} ML-1M training batches (batch 64, maxLen ${maxLen}, dim 64, 2 ${block} blocks, 1 head, relative bias, attention dropout 0.1; ${tokens} padded positions), and the attention kernel alone on [64, ${maxLen}, 64]`,
    maxLen,
    rounds,
    stepsSeconds: { simd: steps.simd.map(r3), js: steps.js.map(r3), medianSimd: r3(median(steps.simd)), medianJs: r3(median(steps.js)) },
    kernelSeconds: {
      simd: kernel.simd.map(r3),
      js: kernel.js.map(r3),
      medianSimd: r3(median(kernel.simd)),
      medianJs: r3(median(kernel.js)),
    },
    stepSpeedup: r3(median(steps.js) / median(steps.simd)),
    kernelSpeedup: r3(median(kernel.js) / median(kernel.simd)),
  };
}

const results = maxLens.map(measure);
const report = {
  kernels: { simd: 'attention.wat, WASM SIMD loops (the default)', js: 'the plain-JS fallback loops (runtimes without WebAssembly SIMD)' },
  backend,
  threads: 1,
  cpus: cpus().length,
  cpu: cpus()[0]?.model ?? 'unknown',
  date: new Date().toISOString().slice(0, 10),
  command: `node --import tsx bench/attention.ts ${process.argv.slice(2).join(' ')}`.trim(),
  results,
};
console.log(JSON.stringify(report, null, 2));
writeFileSync(values.json as string, JSON.stringify(report, null, 2) + '\n');
