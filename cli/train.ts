/** `tastebud train`: read interactions, leave-one-out split, train with early stopping, write a model directory. */
import { availableParallelism, cpus } from 'node:os';
import { parseArgs } from 'node:util';
import { TastebudError } from '../common/errors';
import { scoreHistories } from '../training/sequence/infer';
import { initParams, type ParamMap, paramShapes, type SequenceArchConfig } from '../training/sequence/model';
import { type TrainOptions, trainSequenceModel } from '../training/sequence/train';
import { num, oneOf, required, resolveInteractions } from './args';
import { setupBackend } from '../training/backend';
import { buildVocabulary, leaveOneOut, readInteractions, toSequences } from '../training/data';
import { evaluateLeaveOneOutShared, startGradientPeers } from '../training/gradient-pool';
import { evaluateLeaveOneOut, popularityScorer, round4 } from '../training/metrics';
import { trainMfCommand } from './mf';
import { writeSequenceModelDir } from '../training/model-dir';
import { createProgress } from './progress';

export const TRAIN_USAGE = `Usage: tastebud train --interactions <file|ml-1m|ml-100k> --out <dir> [options]
  --model sasrec|gru|mf     model family (default sasrec)
  --data-dir <dir>          where dataset names are looked up (default ../shared/datasets)
  --dim 64 --max-len 200 --blocks 2 --heads 1 --dropout 0.2
  --positions end|start     SASRec position embeddings counted from the newest item (end, default) or from the
                            first item of the window (start, as in right-padded implementations)
  --attention-dropout 0     SASRec: dropout on the attention weights while training
  --attention-output-dropout R  SASRec: dropout on the attention output before the residual add (default: --dropout;
                            0 = the layout of Kang & McAuley's code and the PyTorch ports)
  --block sasrec|ligr       SASRec block layout: Kang & McAuley's (default) or eSASRec's LiGR (pre-norm, gated
                            residuals, SwiGLU feed-forward)
  --ff-multiplier 4         ligr only: SwiGLU hidden width as a multiple of --dim
  --relative-bias           SASRec: learn an attention-logit bias per head and query-key distance (T5 / HSTU style)
  --attention softmax|silu|silu-mean  SASRec attention weights: softmax over the visible keys (default), HSTU's
                            pointwise silu(logit) / max-len (not normalised across keys), or silu(logit) / visible keys
  --init xavier|normal|torch  weight initialisation: Xavier-uniform (default), N(0, 0.02²), or torch (N(0, 0.02²) but
                            Xavier-uniform query/key/value projections, as nn.MultiheadAttention initialises them)
  --adam-beta2 0.98         Adam's second-moment decay
  --weight-average 0        decay of a moving average of the weights, updated every step (e.g. 0.999); validation,
                            the best checkpoint and the saved model use the average (0 = off)
  --later-targets 0         full softmax only: each position also targets the K items after its next one, the j-th
  --later-weight 0.5        with weight W^j relative to the next item's 1 (a target spread over the near future)
  --label-smoothing 0       full softmax only: keep 1 - e of each target and spread e evenly over the catalog
  --weight-decay 0          decoupled (AdamW) decay: after every step, matrices and embeddings times 1 - lr*decay
  --epochs 200 --batch-size 128 --lr 0.001 --negatives 0 (0 = full softmax; N = sampled softmax: each position's item
                            against N shared uniform negatives, for catalogs of 100k+ items)
  --eval-every 1 --patience 5 (validations without improvement) --max-minutes 120
  --lr-schedule constant|cosine (cosine: decay to 5% of --lr over --max-minutes)
  --windows last|random (random: also train on earlier windows of histories longer than --max-len)
  --batch-order length|random (length: users of similar length share a batch, little padding; random: shuffled)
  --threads N               training threads, each computing part of every batch (default: the number of cores, at most 8)
  --seed 42 --backend wasm|cpu --quiet
  mf only: --factors 50 --epochs 40 --lr 0.007 --reg 0.05 --folds 5 (k-fold RMSE) --json <file> [--out <dir>]`;

const MODELS = ['sasrec', 'gru', 'mf'] as const;
type ModelFamily = (typeof MODELS)[number];
const SEQUENCE: readonly ModelFamily[] = ['sasrec', 'gru'];
/** Flags that only some model families read; any other flag applies to all. */
const FLAG_MODELS: Readonly<Record<string, readonly ModelFamily[]>> = {
  positions: ['sasrec'],
  'attention-dropout': ['sasrec'],
  'attention-output-dropout': ['sasrec'],
  heads: ['sasrec'],
  block: ['sasrec'],
  'ff-multiplier': ['sasrec'],
  'relative-bias': ['sasrec'],
  attention: ['sasrec'],
  'max-len': SEQUENCE,
  blocks: SEQUENCE,
  dropout: SEQUENCE,
  init: SEQUENCE,
  'adam-beta2': SEQUENCE,
  'weight-average': SEQUENCE,
  'batch-size': SEQUENCE,
  'later-targets': SEQUENCE,
  'later-weight': SEQUENCE,
  'label-smoothing': SEQUENCE,
  'weight-decay': SEQUENCE,
  negatives: SEQUENCE,
  'eval-every': SEQUENCE,
  patience: SEQUENCE,
  'max-minutes': SEQUENCE,
  'lr-schedule': SEQUENCE,
  windows: SEQUENCE,
  'batch-order': SEQUENCE,
  threads: SEQUENCE,
  backend: SEQUENCE,
  factors: ['mf'],
  reg: ['mf'],
  folds: ['mf'],
  json: ['mf'],
};

/** A flag the chosen model would silently ignore is an error, not a no-op. */
function refuseFlagsOfOtherModels(values: Record<string, unknown>, model: ModelFamily): void {
  for (const [flag, value] of Object.entries(values)) {
    const models = FLAG_MODELS[flag];
    if (value === undefined || models === undefined || models.includes(model)) continue;
    throw new TastebudError('invalid-argument', `--${flag} applies to --model ${models.join(' or ')} only (got --model ${model})`, {
      field: flag,
    });
  }
}

export async function trainCommand(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: {
      interactions: { type: 'string' },
      out: { type: 'string' },
      model: { type: 'string' },
      'data-dir': { type: 'string' },
      dim: { type: 'string' },
      'max-len': { type: 'string' },
      blocks: { type: 'string' },
      heads: { type: 'string' },
      dropout: { type: 'string' },
      positions: { type: 'string' },
      epochs: { type: 'string' },
      'batch-size': { type: 'string' },
      lr: { type: 'string' },
      negatives: { type: 'string' },
      'eval-every': { type: 'string' },
      patience: { type: 'string' },
      'max-minutes': { type: 'string' },
      seed: { type: 'string' },
      backend: { type: 'string' },
      quiet: { type: 'boolean' },
      folds: { type: 'string' },
      factors: { type: 'string' },
      reg: { type: 'string' },
      json: { type: 'string' },
      threads: { type: 'string' },
      'lr-schedule': { type: 'string' },
      windows: { type: 'string' },
      'batch-order': { type: 'string' },
      'attention-dropout': { type: 'string' },
      'attention-output-dropout': { type: 'string' },
      init: { type: 'string' },
      'adam-beta2': { type: 'string' },
      'weight-average': { type: 'string' },
      block: { type: 'string' },
      'ff-multiplier': { type: 'string' },
      'relative-bias': { type: 'boolean' },
      attention: { type: 'string' },
      'later-targets': { type: 'string' },
      'later-weight': { type: 'string' },
      'label-smoothing': { type: 'string' },
      'weight-decay': { type: 'string' },
    },
    strict: true,
  });
  const model = oneOf(values.model, 'model', MODELS, 'sasrec');
  refuseFlagsOfOtherModels(values, model);
  const file = resolveInteractions(required(values.interactions, 'interactions', TRAIN_USAGE), values['data-dir']);
  if (model === 'mf') {
    await trainMfCommand(file, values);
    return;
  }
  const out = required(values.out, 'out', TRAIN_USAGE);
  const dim = num(values.dim, 'dim', 64, { int: true, min: 2, max: 1024 });
  const heads = num(values.heads, 'heads', 1, { int: true, min: 1, max: 64 });
  if (dim % heads !== 0)
    throw new TastebudError('invalid-argument', `--dim (${dim}) must be a multiple of --heads (${heads})`, { field: 'heads' });
  const maxLen = num(values['max-len'], 'max-len', 200, { int: true, min: 2, max: 4096 });
  const blocks = num(values.blocks, 'blocks', 2, { int: true, min: 1, max: 24 });
  const dropout = num(values.dropout, 'dropout', 0.2, { min: 0, max: 0.95 });
  const positions = oneOf(values.positions, 'positions', ['end', 'start'] as const, 'end');
  const attentionDropout = num(values['attention-dropout'], 'attention-dropout', 0, { min: 0, max: 0.95 });
  const attentionOutputDropout = num(values['attention-output-dropout'], 'attention-output-dropout', dropout, { min: 0, max: 0.95 });
  const block = oneOf(values.block, 'block', ['sasrec', 'ligr'] as const, 'sasrec');
  if (values['ff-multiplier'] !== undefined && block !== 'ligr')
    throw new TastebudError('invalid-argument', '--ff-multiplier applies to --block ligr only', { field: 'ff-multiplier' });
  const ffMultiplier = num(values['ff-multiplier'], 'ff-multiplier', 4, { int: true, min: 1, max: 16 });
  const attention = oneOf(values.attention, 'attention', ['softmax', 'silu', 'silu-mean'] as const, 'softmax');
  const init = oneOf(values.init, 'init', ['xavier', 'normal', 'torch'] as const, 'xavier');
  const opts: TrainOptions = {
    epochs: num(values.epochs, 'epochs', 200, { int: true, min: 1 }),
    batchSize: num(values['batch-size'], 'batch-size', 128, { int: true, min: 1 }),
    lr: num(values.lr, 'lr', 1e-3, { min: 0 }),
    seed: num(values.seed, 'seed', 42, { int: true }),
    sampledNegatives: num(values.negatives, 'negatives', 0, { int: true, min: 0 }),
    evalEvery: num(values['eval-every'], 'eval-every', 1, { int: true, min: 1 }),
    patience: num(values.patience, 'patience', 5, { int: true, min: 1 }),
    maxSeconds: 60 * num(values['max-minutes'], 'max-minutes', 120, { min: 0 }),
    lrSchedule: oneOf(values['lr-schedule'], 'lr-schedule', ['constant', 'cosine'] as const, 'constant'),
    windows: oneOf(values.windows, 'windows', ['last', 'random'] as const, 'last'),
    batchOrder: oneOf(values['batch-order'], 'batch-order', ['length', 'random'] as const, 'length'),
    adamBeta2: num(values['adam-beta2'], 'adam-beta2', 0.98, { min: 0, max: 0.999999 }),
    weightAverage: num(values['weight-average'], 'weight-average', 0, { min: 0, max: 0.999999 }),
    laterTargets: num(values['later-targets'], 'later-targets', 0, { int: true, min: 0, max: 16 }),
    laterWeight: num(values['later-weight'], 'later-weight', 0.5, { min: 0, max: 1 }),
    labelSmoothing: num(values['label-smoothing'], 'label-smoothing', 0, { min: 0, max: 0.99 }),
    weightDecay: num(values['weight-decay'], 'weight-decay', 0, { min: 0 }),
  };
  if ((opts.laterTargets ?? 0) > 0 && opts.sampledNegatives > 0)
    throw new TastebudError('invalid-argument', '--later-targets needs the full softmax (--negatives 0)', { field: 'later-targets' });
  if ((opts.labelSmoothing ?? 0) > 0 && opts.sampledNegatives > 0)
    throw new TastebudError('invalid-argument', '--label-smoothing needs the full softmax (--negatives 0)', { field: 'label-smoothing' });
  const threads = num(values.threads, 'threads', Math.min(8, availableParallelism()), { int: true, min: 1, max: 64 });
  const backend = await setupBackend(values.backend ?? 'wasm');
  const progress = createProgress(opts.epochs, values.quiet === true, values['max-minutes'] === undefined ? undefined : opts.maxSeconds);
  const t0 = Date.now();
  const log = await readInteractions(file);
  for (const w of log.warnings) progress.log(`warning: ${w}`);
  const vocab = buildVocabulary(log);
  const { seqs } = toSequences(log, vocab);
  const split = leaveOneOut(seqs);
  if (split.evalUsers.length === 0)
    throw new TastebudError('invalid-argument', `${file}: no user has the 3 interactions needed for a leave-one-out split`, {
      field: 'interactions',
    });
  progress.log(
    `read ${log.fingerprint.interactions} interactions, ${seqs.length} users, ${vocab.length} items in ${((Date.now() - t0) / 1000).toFixed(1)}s; backend ${backend}`,
  );

  const config: SequenceArchConfig = {
    architecture: model,
    numItems: vocab.length,
    dim,
    maxLen,
    blocks,
    heads,
    dropout,
    ...(positions === 'start' ? { positions: 'from-start' as const } : {}),
    ...(attentionDropout > 0 ? { attentionDropout } : {}),
    ...(attentionOutputDropout !== dropout ? { attentionOutputDropout } : {}),
    ...(block === 'ligr' ? { block, ffMultiplier } : {}),
    ...(values['relative-bias'] === true ? { relativeBias: true } : {}),
    ...(attention !== 'softmax' ? { attention } : {}),
  };
  const params = initParams(config, opts.seed, init);
  const scorer =
    (p: ParamMap) =>
    (h: readonly Int32Array[]): Float32Array =>
      scoreHistories(p, config, h).scores;
  const popularity = popularityScorer(split.train, vocab.length);
  const popValid = evaluateLeaveOneOut(popularity, vocab.length, seqs, split.evalUsers, 'valid');
  progress.log(`popularity baseline: valid NDCG@10 ${popValid.ndcg10.toFixed(4)} HR@10 ${popValid.hr10.toFixed(4)}`);

  const baseMetadata = {
    data: log.fingerprint,
    split: 'leave-one-out (last = test, second-to-last = validation)',
    training: { ...opts, init, backend, threads, cpus: cpus().length },
  };
  const save = (metadata: Record<string, unknown>): void => {
    const tensors = paramShapes(config).map(([name, shape]) => ({
      name,
      shape,
      data: (params.get(name) as { dataSync(): Float32Array }).dataSync(),
    }));
    writeSequenceModelDir(out, config, tensors, vocab, { ...baseMetadata, ...metadata });
  };

  let best = -Infinity;
  const peers =
    threads > 1
      ? await startGradientPeers(threads - 1, { config, backend, seed: opts.seed + 1, sampledNegatives: opts.sampledNegatives })
      : [];
  if (threads > 1) progress.log(`training on ${threads} threads (each batch, and each validation, split between them)`);
  // validation ranks are shared with the gradient threads, which score with the weights they are sent
  const evaluate = (p: ParamMap, which: 'valid' | 'test') =>
    peers.length === 0
      ? Promise.resolve(evaluateLeaveOneOut(scorer(p), vocab.length, seqs, split.evalUsers, which))
      : evaluateLeaveOneOutShared(
          scorer(p),
          [...p.values()].map((v) => (v.dataSync() as Float32Array).slice()),
          peers,
          vocab.length,
          seqs,
          split.evalUsers,
          which,
        );
  const trained = async () => {
    const result = await trainSequenceModel(params, config, split.train, opts, {
      peers,
      onStep: (i) => progress.step(i),
      onEpoch: (i) => progress.epoch(i),
      validate: async (p) => {
        const m = await evaluate(p, 'valid');
        if (m.ndcg10 > best) {
          best = m.ndcg10;
          save({ checkpoint: { validNdcg10: m.ndcg10, validHr10: m.hr10, elapsedSeconds: (Date.now() - t0) / 1000 } });
        }
        return m.ndcg10;
      },
    });
    progress.stop();
    return { result, valid: await evaluate(params, 'valid'), test: await evaluate(params, 'test') };
  };
  const { result, valid, test } = await trained().finally(() => Promise.all(peers.map((peer) => peer.dispose())));
  const popTest = evaluateLeaveOneOut(popularity, vocab.length, seqs, split.evalUsers, 'test');
  const metrics = {
    trainSeconds: Math.round(result.seconds),
    epochs: result.epochs,
    bestEpoch: result.bestEpoch,
    stoppedBy: result.stoppedBy,
    valid: round4(valid),
    test: round4(test),
    popularity: { valid: round4(popValid), test: round4(popTest) },
    history: result.history.map((h) => ({
      epoch: h.epoch,
      loss: Math.round(h.loss * 1e4) / 1e4,
      seconds: Math.round(h.seconds),
      valid: h.valid === undefined ? null : Math.round(h.valid * 1e4) / 1e4,
    })),
  };
  save({ metrics });
  process.stdout.write(`${JSON.stringify({ out, backend, ...metrics, history: undefined }, null, 2)}\n`);
}
