/**
 * Training loop for the sequence models (runs in Node for the CLI; no Node
 * imports, so it could also run in a worker). All-position next-item
 * prediction with full-softmax cross-entropy (SASRec+CE) or a shared
 * sampled softmax; users are bucketed by length so padding costs little.
 */
import { mulberry32 } from '../../common/random';
import * as tf from '@tensorflow/tfjs';
import type { Batch } from './batch';
import { combineShards, countTargets, type GradientPeer, type ShardGradients, shardBatch } from './data-parallel';
import { gatherRows, type LaterTargets, sampledSoftmaxCrossEntropy, softmaxCrossEntropy } from '../../workers/models/sequence/ops';
import { forward, type ParamMap, type SequenceArchConfig as SasrecConfig } from './model';
import { restore, snapshot, WeightAverage, type WeightSnapshot } from './weight-average';

export interface TrainOptions {
  epochs: number;
  batchSize: number;
  lr: number;
  seed: number;
  /** 0 = full softmax; otherwise sampled softmax: each position's positive against this many shared uniform negatives per step. */
  sampledNegatives: number;
  /** Validate every this many epochs (and after the last). */
  evalEvery: number;
  /** Stop after this many validations without improvement. */
  patience: number;
  /** Stop (after the current epoch) once this much wall time has passed. */
  maxSeconds: number;
  /**
   * 'cosine' decays the learning rate from `lr` to `lr * minLrFraction` over the
   * time budget (`maxSeconds`): the budget, not an epoch count, is what a user
   * sets, and a decayed rate is what lets the last epochs settle. Default 'constant'.
   */
  lrSchedule?: 'constant' | 'cosine';
  minLrFraction?: number;
  /**
   * Which maxLen window of a longer history to train on: 'last' (classic SASRec)
   * or 'random' (each epoch, half the long users get a random earlier window), so
   * older parts of long histories are not thrown away. Default 'last'.
   */
  windows?: 'last' | 'random';
  /**
   * How users are grouped into batches: 'length' (users of similar length together,
   * so padding costs almost nothing; the default) or 'random' (shuffled users, as in
   * the reference implementations: every batch mixes short and long histories, so a
   * short history's targets weigh no more in a step than a long one's).
   */
  batchOrder?: 'length' | 'random';
  /** Adam's second-moment decay. Default 0.98 (PyTorch's default, and the SASRec+CE recipe's, is 0.999). */
  adamBeta2?: number;
  /**
   * Decay of an exponential moving average of the weights, updated after every
   * step; when set (0 < d < 1), validation, the best checkpoint and the
   * returned weights are the average's, while training continues from the
   * live weights. Default 0 (off).
   */
  weightAverage?: number;
  /**
   * Full softmax only: besides the next item, each position also targets the
   * `laterTargets` items after it (within the training history), the j-th of
   * them with weight `laterWeight`^j relative to the next item's 1, so the
   * target is a distribution over the near future. Default 0 (next item only).
   */
  laterTargets?: number;
  /** Default 0.5. */
  laterWeight?: number;
  /**
   * Full softmax only: the target distribution keeps 1 − ε of its mass and spreads ε
   * uniformly over the catalog (label smoothing). Default 0 (off).
   */
  labelSmoothing?: number;
  /**
   * Decoupled weight decay (AdamW): after every step each matrix and embedding is
   * multiplied by 1 − lr·weightDecay (layer-norm parameters, biases and the relative
   * attention bias are left alone). Default 0 (off).
   */
  weightDecay?: number;
}

export interface StepInfo {
  epoch: number;
  step: number;
  steps: number;
  loss: number;
}
export interface EpochInfo {
  epoch: number;
  loss: number;
  seconds: number;
  valid?: number;
  best: number;
  bestEpoch: number;
}

export interface TrainHooks {
  onStep?(info: StepInfo): void;
  onEpoch?(info: EpochInfo): void;
  /** Validation metric (higher is better), e.g. NDCG@10 on the held-out item. */
  validate(params: ParamMap): number | Promise<number>;
  /**
   * Other threads that compute gradients: each batch is split between this
   * thread and the peers (data parallelism; same result as one full batch).
   */
  peers?: readonly GradientPeer[];
}

export interface TrainResult {
  epochs: number;
  bestEpoch: number;
  bestValid: number;
  seconds: number;
  stoppedBy: 'epochs' | 'patience' | 'time';
  history: EpochInfo[];
}

export type { Batch } from './batch';

/** Relative weights of the later targets: laterWeight^j for j = 1..laterTargets (empty when off). */
export function laterTargetWeights(opts: Pick<TrainOptions, 'laterTargets' | 'laterWeight'>): Float32Array {
  const w = opts.laterWeight ?? 0.5;
  return Float32Array.from({ length: opts.laterTargets ?? 0 }, (_, j) => w ** (j + 1));
}

/** Splits training sequences (oldest first) into batches of (input, next-item) pairs, length-bucketed or shuffled. */
export function makeBatches(
  seqs: readonly Int32Array[],
  maxLen: number,
  batchSize: number,
  random: () => number,
  windows: 'last' | 'random' = 'last',
  batchOrder: 'length' | 'random' = 'length',
  laterWeights: Float32Array = new Float32Array(0),
): Batch[] {
  const k = laterWeights.length;
  const usable = seqs.filter((s) => s.length >= 2).map((s) => (windows === 'random' ? randomWindow(s, maxLen, random) : s));
  const order = usable.map((s, i) => ({ i, key: (batchOrder === 'random' ? 0 : Math.min(s.length - 1, maxLen)) + random() * 0.999 }));
  order.sort((a, b) => a.key - b.key);
  const batches: Batch[] = [];
  for (let start = 0; start < order.length; start += batchSize) {
    const members = order.slice(start, start + batchSize).map((o) => usable[o.i] as Int32Array);
    const len = Math.max(...members.map((s) => Math.min(s.length - 1, maxLen)));
    const ids = new Int32Array(members.length * len);
    const targets = new Int32Array(members.length * len);
    const later = new Int32Array(k > 0 ? members.length * len * k : 0);
    members.forEach((s, b) => {
      const n = Math.min(s.length - 1, maxLen);
      const off = b * len + (len - n);
      ids.set(s.subarray(s.length - 1 - n, s.length - 1), off);
      targets.set(s.subarray(s.length - n), off);
      // position p's next item is s[s.length - n + p]; its later targets follow it, never past the window
      for (let p = 0; p < n && k > 0; p++) {
        for (let j = 1; j <= k; j++) {
          const at = s.length - n + p + j;
          if (at < s.length) later[(off + p) * k + j - 1] = s[at] as number;
        }
      }
    });
    batches.push({ ids, targets, batch: members.length, len, ...(k > 0 ? { later: { ids: later, weights: laterWeights } } : {}) });
  }
  for (let i = batches.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [batches[i], batches[j]] = [batches[j] as Batch, batches[i] as Batch];
  }
  return batches;
}

/** Half the time the most recent window (what serving sees), else a window ending at a random earlier position. */
export function randomWindow(seq: Int32Array, maxLen: number, random: () => number): Int32Array {
  if (seq.length <= maxLen + 1 || random() < 0.5) return seq;
  const end = maxLen + 1 + Math.floor(random() * (seq.length - maxLen));
  return seq.subarray(end - maxLen - 1, end);
}

/** Learning rate at a point of the time budget (fraction 0..1). */
export function scheduledLr(opts: Pick<TrainOptions, 'lr' | 'lrSchedule' | 'minLrFraction'>, fraction: number): number {
  if (opts.lrSchedule !== 'cosine') return opts.lr;
  const min = opts.lr * (opts.minLrFraction ?? 0.05);
  const f = Math.min(1, Math.max(0, fraction));
  return min + (opts.lr - min) * 0.5 * (1 + Math.cos(Math.PI * f));
}

/** Loss of one batch (inside a gradient scope). */
export function batchLoss(params: ParamMap, config: SasrecConfig, b: Batch, sampledNegatives: number, random: () => number): tf.Scalar {
  const { hidden } = forward(params, config, b.ids, b.batch, b.len, { training: true });
  const valid: number[] = [];
  for (let i = 0; i < b.targets.length; i++) if ((b.targets[i] as number) !== 0) valid.push(i);
  const rows = gatherRows(hidden.reshape([b.batch * b.len, config.dim]), Int32Array.from(valid));
  const table = params.get('item_emb') as tf.Variable;
  const targets = Int32Array.from(valid, (i) => b.targets[i] as number);
  if (sampledNegatives <= 0) {
    return softmaxCrossEntropy(rows, table as tf.Tensor2D, {
      targets,
      excludeColumn: 0,
      ...(b.later ? { later: validLaterTargets(b.later, valid) } : {}),
      ...(b.labelSmoothing ? { labelSmoothing: b.labelSmoothing } : {}),
    });
  }
  // sampled softmax: each row's positive against k shared uniform negatives
  const k = sampledNegatives;
  const negativeIds = Int32Array.from({ length: k }, () => 1 + Math.floor(random() * config.numItems));
  return sampledSoftmaxCrossEntropy(rows, gatherRows(table, targets), gatherRows(table, negativeIds), {
    targets,
    negativeIds,
    negativeLogitOffset: Math.log(config.numItems / k),
  });
}

function validLaterTargets(later: LaterTargets, rows: readonly number[]): LaterTargets {
  const k = later.weights.length;
  const ids = new Int32Array(rows.length * k);
  rows.forEach((r, i) => ids.set(later.ids.subarray(r * k, (r + 1) * k), i * k));
  return { ids, weights: later.weights };
}

/** Loss and gradients (in parameter order) of one batch at the current weights. */
export function shardGradients(
  params: ParamMap,
  config: SasrecConfig,
  b: Batch,
  sampledNegatives: number,
  random: () => number,
): ShardGradients {
  const targets = countTargets(b);
  const vars = [...params.values()];
  if (targets === 0) return { loss: 0, targets: 0, grads: vars.map((v) => new Float32Array(v.size)) };
  const { value, grads } = tf.variableGrads(() => batchLoss(params, config, b, sampledNegatives, random), vars);
  const loss = value.dataSync()[0] as number;
  const out = vars.map((v) => {
    const g = grads[v.name];
    return g ? (g.dataSync() as Float32Array).slice() : new Float32Array(v.size);
  });
  tf.dispose([value, ...Object.values(grads)]);
  return { loss, targets, grads: out };
}

/** One optimizer step with the batch split between this thread and the peers. */
async function parallelStep(
  params: ParamMap,
  config: SasrecConfig,
  b: Batch,
  optimizer: tf.Optimizer,
  peers: readonly GradientPeer[],
  sampledNegatives: number,
  random: () => number,
): Promise<number> {
  const vars = [...params.values()];
  const shards = shardBatch(b, peers.length + 1);
  const weights = shards.length > 1 ? vars.map((v) => (v.dataSync() as Float32Array).slice()) : [];
  const remote = shards.slice(1).map((shard, i) => (peers[i] as GradientPeer).gradients(weights, shard));
  const local = shardGradients(params, config, shards[0] as Batch, sampledNegatives, random);
  const { loss, grads } = combineShards([local, ...(await Promise.all(remote))]);
  const named: tf.NamedTensorMap = {};
  vars.forEach((v, k) => {
    named[v.name] = tf.tensor(grads[k] as Float32Array, v.shape);
  });
  optimizer.applyGradients(named);
  tf.dispose(Object.values(named));
  return loss;
}

/** The parameters decoupled weight decay applies to: matrices and embeddings. */
export function decayedParams(params: ParamMap): tf.Variable[] {
  return [...params].filter(([name, v]) => v.rank >= 2 && !name.endsWith('rel_bias')).map(([, v]) => v as tf.Variable);
}

/** w ← w·(1 − lr·decay) for each of `vars` (AdamW's decoupled step). */
export function applyWeightDecay(vars: readonly tf.Variable[], lr: number, decay: number): void {
  const factor = 1 - lr * decay;
  tf.tidy(() => {
    for (const v of vars) v.assign(tf.mul(v, factor));
  });
}

/** Trains `params` in place; on return they hold the best-validating weights. */
export async function trainSequenceModel(
  params: ParamMap,
  config: SasrecConfig,
  seqs: readonly Int32Array[],
  opts: TrainOptions,
  hooks: TrainHooks,
): Promise<TrainResult> {
  const random = mulberry32(opts.seed);
  if ((opts.laterTargets ?? 0) > 0 && opts.sampledNegatives > 0)
    throw new Error('later targets need the full softmax (sampledNegatives 0)');
  const smoothing = opts.labelSmoothing ?? 0;
  if (smoothing > 0 && opts.sampledNegatives > 0) throw new Error('label smoothing needs the full softmax (sampledNegatives 0)');
  if (!(smoothing >= 0 && smoothing < 1)) throw new Error(`labelSmoothing must be in [0, 1), got ${smoothing}`);
  const decayed = (opts.weightDecay ?? 0) > 0 ? decayedParams(params) : [];
  const optimizer = tf.train.adam(opts.lr, 0.9, opts.adamBeta2 ?? 0.98);
  const laterWeights = laterTargetWeights(opts);
  const vars = [...params.values()];
  const started = Date.now();
  const history: EpochInfo[] = [];
  let best = -Infinity;
  let bestEpoch = 0;
  let bestSnap: WeightSnapshot | null = null;
  const average = opts.weightAverage ? new WeightAverage(params, opts.weightAverage) : null;
  let sinceBest = 0;
  let stoppedBy: TrainResult['stoppedBy'] = 'epochs';
  let epoch = 0;
  for (epoch = 1; epoch <= opts.epochs; epoch++) {
    const t0 = Date.now();
    const batches = makeBatches(seqs, config.maxLen, opts.batchSize, random, opts.windows, opts.batchOrder, laterWeights).map((b) =>
      smoothing > 0 ? { ...b, labelSmoothing: smoothing } : b,
    );
    let lossSum = 0;
    let lossN = 0;
    for (let s = 0; s < batches.length; s++) {
      const b = batches[s] as Batch;
      // tfjs's Adam reads its (protected) learningRate on every step.
      const lr = scheduledLr(opts, (Date.now() - started) / 1000 / opts.maxSeconds);
      (optimizer as unknown as { learningRate: number }).learningRate = lr;
      let l: number;
      if (hooks.peers && hooks.peers.length > 0) {
        l = await parallelStep(params, config, b, optimizer, hooks.peers, opts.sampledNegatives, random);
      } else {
        const loss = optimizer.minimize(() => batchLoss(params, config, b, opts.sampledNegatives, random), true, vars);
        l = loss ? (loss.dataSync()[0] as number) : NaN;
        loss?.dispose();
      }
      if (decayed.length > 0) applyWeightDecay(decayed, lr, opts.weightDecay ?? 0);
      average?.update(params);
      lossSum += l;
      lossN++;
      hooks.onStep?.({ epoch, step: s + 1, steps: batches.length, loss: lossSum / lossN });
      await new Promise<void>((r) => (typeof setImmediate === 'function' ? setImmediate(r) : setTimeout(r, 0)));
    }
    const info: EpochInfo = { epoch, loss: lossSum / lossN, seconds: (Date.now() - t0) / 1000, best, bestEpoch };
    const outOfTime = (Date.now() - started) / 1000 >= opts.maxSeconds;
    if (epoch % opts.evalEvery === 0 || epoch === opts.epochs || outOfTime) {
      const valid = await (average ? average.withAverage(params, () => hooks.validate(params)) : hooks.validate(params));
      info.valid = valid;
      if (valid > best) {
        // keep the weights that were validated
        best = valid;
        bestEpoch = epoch;
        sinceBest = 0;
        bestSnap = average ? average.copy() : snapshot(params);
      } else {
        sinceBest++;
      }
      info.best = best;
      info.bestEpoch = bestEpoch;
    }
    history.push(info);
    hooks.onEpoch?.(info);
    if (sinceBest >= opts.patience) {
      stoppedBy = 'patience';
      break;
    }
    if (outOfTime) {
      stoppedBy = 'time';
      break;
    }
  }
  optimizer.dispose();
  if (bestSnap) restore(params, bestSnap);
  else if (average) restore(params, average.average);
  return { epochs: Math.min(epoch, opts.epochs), bestEpoch, bestValid: best, seconds: (Date.now() - started) / 1000, stoppedBy, history };
}
