/**
 * The wasm-only fast paths of training (zero-copy `Identity`, heap views in
 * the fused full and sampled cross-entropies) give the cpu backend's losses
 * and gradients.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { setupBackend } from '../training/backend';
import { initParams, type SequenceArchConfig } from '../training/sequence/model';
import { softmaxCrossEntropy } from '../workers/models/sequence/ops';
import { batchLoss, makeBatches } from '../training/sequence/train';
import { mulberry32 } from '../common/random';

const config: SequenceArchConfig = { architecture: 'sasrec', numItems: 40, dim: 8, maxLen: 12, blocks: 2, heads: 2, dropout: 0 };

function run(): {
  ce: number;
  ceGrads: Float32Array[];
  loss: number;
  grads: Float32Array[];
  sampledLoss: number;
  sampledGrads: Float32Array[];
} {
  const random = mulberry32(7);
  const h = tf.randomNormal([300, 8], 0, 1, 'float32', 1) as tf.Tensor2D;
  const table = tf.randomNormal([41, 8], 0, 1, 'float32', 2) as tf.Tensor2D;
  const targets = Int32Array.from({ length: 300 }, () => 1 + Math.floor(random() * 40));
  const ce = tf.valueAndGrads((a: tf.Tensor, b: tf.Tensor) =>
    softmaxCrossEntropy(a as tf.Tensor2D, b as tf.Tensor2D, { targets, excludeColumn: 0, chunkRows: 64 }),
  )([h, table]);
  const seqs = Array.from({ length: 10 }, () =>
    Int32Array.from({ length: 4 + Math.floor(random() * 12) }, () => 1 + Math.floor(random() * 40)),
  );
  const params = initParams(config, 3);
  const batch = makeBatches(seqs, config.maxLen, 10, random)[0];
  assert.ok(batch);
  const vars = [...params.values()];
  const { value, grads } = tf.variableGrads(() => batchLoss(params, config, batch, 0, random), vars);
  const sampled = tf.variableGrads(() => batchLoss(params, config, batch, 16, random), vars);
  const out = {
    ce: ce.value.dataSync()[0] as number,
    ceGrads: ce.grads.map((g) => g.dataSync() as Float32Array),
    loss: value.dataSync()[0] as number,
    grads: vars.map((v) => (grads[v.name] as tf.Tensor).dataSync() as Float32Array),
    sampledLoss: sampled.value.dataSync()[0] as number,
    sampledGrads: vars.map((v) => (sampled.grads[v.name] as tf.Tensor).dataSync() as Float32Array),
  };
  tf.dispose([h, table, ce.value, ...ce.grads, value, ...Object.values(grads), sampled.value, ...Object.values(sampled.grads), ...vars]);
  return out;
}

const maxDiff = (a: Float32Array, b: Float32Array): number => a.reduce((m, x, i) => Math.max(m, Math.abs(x - (b[i] as number))), 0);

test('wasm training fast paths give the cpu losses and gradients, and leak nothing', async () => {
  await tf.setBackend('cpu');
  const cpu = run();
  await setupBackend('wasm');
  run(); // first call compiles / allocates
  const before = tf.memory().numTensors;
  const wasm = run();
  assert.equal(tf.memory().numTensors, before);
  assert.ok(Math.abs(cpu.ce - wasm.ce) < 1e-5, `ce ${cpu.ce} vs ${wasm.ce}`);
  cpu.ceGrads.forEach((g, i) => assert.ok(maxDiff(g, wasm.ceGrads[i] as Float32Array) < 1e-5, `ce grad ${i}`));
  assert.ok(Math.abs(cpu.loss - wasm.loss) < 1e-4, `loss ${cpu.loss} vs ${wasm.loss}`);
  cpu.grads.forEach((g, i) =>
    assert.ok(maxDiff(g, wasm.grads[i] as Float32Array) < 1e-4, `grad ${i}: ${maxDiff(g, wasm.grads[i] as Float32Array)}`),
  );
  assert.ok(Math.abs(cpu.sampledLoss - wasm.sampledLoss) < 1e-4, `sampled loss ${cpu.sampledLoss} vs ${wasm.sampledLoss}`);
  assert.ok(Math.abs(cpu.sampledLoss - cpu.loss) > 1e-3, 'the sampled loss differs from the full one');
  cpu.sampledGrads.forEach((g, i) => assert.ok(maxDiff(g, wasm.sampledGrads[i] as Float32Array) < 1e-4, `sampled grad ${i}`));
  // a clone shares the data on wasm and survives the original's disposal
  const x = tf.tensor1d([1, 2, 3]);
  const y = tf.clone(x);
  x.dispose();
  assert.deepEqual([...y.dataSync()], [1, 2, 3]);
  y.dispose();
});
