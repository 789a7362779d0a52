import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { decodeWeights, type WeightSpec } from '../common/model-format/sequence';

const dir = mkdtempSync(join(tmpdir(), 'tastebud-cli-'));

function cli(...args: string[]): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, ['--import', 'tsx', 'cli/index.ts', ...args], { encoding: 'utf8', timeout: 120_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

const noStack = (s: string): void => assert.doesNotMatch(s, /\n\s+at .+:\d+:\d+/);

/** 40 users of 8 items each, every user a shifted run over ten item ids (100-109), as `user item` lines. */
function writeSyntheticSequences(name: string): string {
  const lines: string[] = [];
  for (let u = 1; u <= 40; u++) for (let i = 0; i < 8; i++) lines.push(`u${u} ${100 + ((u + i) % 10)}`);
  const file = join(dir, name);
  writeFileSync(file, `${lines.join('\n')}\n`);
  return file;
}

test('bad input files and flags: one clear line, exit 1, no stack trace', () => {
  const bad = join(dir, 'bad.csv');
  writeFileSync(bad, 'user,item,rating\n1,2,4\n1,3,not-a-number\n');
  let r = cli('train', '--interactions', bad, '--out', join(dir, 'm'));
  assert.equal(r.code, 1);
  assert.match(r.stderr, /error \(invalid-argument\): .*bad\.csv:3: rating "not-a-number" is not a number/);
  noStack(r.stderr);
  r = cli('train', '--interactions', join(dir, 'missing.csv'), '--out', join(dir, 'm'));
  assert.match(r.stderr, /not found/);
  r = cli('train', '--interactions', bad, '--out', join(dir, 'm'), '--dim', 'big');
  assert.match(r.stderr, /--dim must be an integer/);
  r = cli('train', '--interactions', bad, '--out', join(dir, 'm'), '--positions', 'middle');
  assert.match(r.stderr, /--positions must be/);
  r = cli('train', '--interactions', bad, '--out', join(dir, 'm'), '--model', 'gru', '--positions', 'start');
  assert.equal(r.code, 1);
  assert.match(r.stderr, /error \(invalid-argument\): --positions applies to --model sasrec only/);
  noStack(r.stderr);
  r = cli('train', '--interactions', bad, '--out', join(dir, 'm'), '--model', 'gru', '--attention-dropout', '0.1');
  assert.match(r.stderr, /error \(invalid-argument\): --attention-dropout applies to --model sasrec only/);
  r = cli('train', '--interactions', bad, '--out', join(dir, 'm'), '--model', 'gru', '--attention-output-dropout', '0');
  assert.match(r.stderr, /error \(invalid-argument\): --attention-output-dropout applies to --model sasrec only/);
  r = cli('train', '--interactions', bad, '--out', join(dir, 'm'), '--model', 'gru', '--attention', 'silu');
  assert.match(r.stderr, /error \(invalid-argument\): --attention applies to --model sasrec only/);
  r = cli('train', '--interactions', bad, '--out', join(dir, 'm'), '--attention', 'relu');
  assert.match(r.stderr, /--attention must be/);
  r = cli('train', '--interactions', bad, '--out', join(dir, 'm'), '--model', 'gru', '--block', 'ligr');
  assert.match(r.stderr, /error \(invalid-argument\): --block applies to --model sasrec only/);
  r = cli('train', '--interactions', bad, '--out', join(dir, 'm'), '--ff-multiplier', '2');
  assert.match(r.stderr, /error \(invalid-argument\): --ff-multiplier applies to --block ligr only/);
  r = cli('train', '--interactions', bad, '--out', join(dir, 'm'), '--block', 'post-norm');
  assert.match(r.stderr, /--block must be one of sasrec, ligr, got "post-norm"/);
  r = cli('train', '--interactions', bad, '--out', join(dir, 'm'), '--model', 'gru', '--heads', '2');
  assert.match(r.stderr, /error \(invalid-argument\): --heads applies to --model sasrec only \(got --model gru\)/);
  // a flag the chosen model would ignore is refused before any file is read
  r = cli('train', '--interactions', join(dir, 'missing.csv'), '--model', 'mf', '--positions', 'start');
  assert.equal(r.code, 1);
  assert.match(r.stderr, /error \(invalid-argument\): --positions applies to --model sasrec only \(got --model mf\)/);
  r = cli('train', '--interactions', bad, '--model', 'mf', '--max-len', '50');
  assert.match(r.stderr, /error \(invalid-argument\): --max-len applies to --model sasrec or gru only \(got --model mf\)/);
  r = cli('train', '--interactions', bad, '--out', join(dir, 'm'), '--folds', '5');
  assert.match(r.stderr, /error \(invalid-argument\): --folds applies to --model mf only \(got --model sasrec\)/);
  noStack(r.stderr);
  r = cli('train', '--interactions', bad, '--model', 'svd');
  assert.match(r.stderr, /error \(invalid-argument\): --model must be one of sasrec, gru, mf, got "svd"/);
  r = cli('train', '--interactions', bad, '--out', join(dir, 'm'), '--batch-order', 'sorted');
  assert.match(r.stderr, /--batch-order must be one of length, random/);
  r = cli('train', '--interactions', bad, '--out', join(dir, 'm'), '--init', 'uniform');
  assert.match(r.stderr, /--init must be/);
  r = cli('train', '--interactions', bad, '--out', join(dir, 'm'), '--adam-beta2', '1');
  assert.match(r.stderr, /--adam-beta2 must be/);
  r = cli('train', '--interactions', bad, '--out', join(dir, 'm'), '--weight-average', '1');
  assert.match(r.stderr, /--weight-average must be a number >= 0 <= 0.999999, got "1"/);
  r = cli('train', '--interactions', bad, '--model', 'mf', '--weight-average', '0.99');
  assert.match(r.stderr, /--weight-average applies to --model sasrec or gru only/);
  r = cli('train', '--interactions', bad, '--out', join(dir, 'm'), '--later-targets', '2', '--negatives', '16');
  assert.match(r.stderr, /--later-targets needs the full softmax \(--negatives 0\)/);
  r = cli('train', '--interactions', bad, '--out', join(dir, 'm'), '--label-smoothing', '0.1', '--negatives', '16');
  assert.match(r.stderr, /--label-smoothing needs the full softmax \(--negatives 0\)/);
  r = cli('train', '--interactions', bad, '--out', join(dir, 'm'), '--weight-decay=-1');
  assert.match(r.stderr, /--weight-decay must be a number >= 0, got "-1"/);
  r = cli('train', '--bogus');
  assert.equal(r.code, 1);
  assert.match(r.stderr, /error \(invalid-argument\): Unknown option '--bogus'/);
  noStack(r.stderr);
  r = cli('eval', '--model', dir, '--interactions', bad);
  assert.match(r.stderr, /error \(model-load\): No manifest\.json/);
  r = cli('frobnicate');
  assert.equal(r.code, 1);
});

test('train then eval a tiny model on synthetic sequences', () => {
  const file = writeSyntheticSequences('seq.txt');
  const out = join(dir, 'model');
  const r = cli(
    'train',
    '--interactions',
    file,
    '--out',
    out,
    '--dim',
    '8',
    '--max-len',
    '6',
    '--blocks',
    '1',
    '--epochs',
    '3',
    '--batch-size',
    '16',
    '--lr',
    '0.01',
    '--attention-dropout',
    '0.1',
    '--attention-output-dropout',
    '0',
    '--init',
    'torch',
    '--adam-beta2',
    '0.999',
    '--batch-order',
    'random',
    '--weight-average',
    '0.9',
    '--later-targets',
    '2',
    '--later-weight',
    '0.4',
    '--label-smoothing',
    '0.05',
    '--weight-decay',
    '0.01',
    '--quiet',
  );
  assert.equal(r.code, 0, r.stderr);
  const summary = JSON.parse(r.stdout) as { epochs: number; test: { ndcg10: number }; popularity: { test: { hr10: number } } };
  assert.equal(summary.epochs, 3);
  const manifest = JSON.parse(readFileSync(join(out, 'manifest.json'), 'utf8')) as {
    kind: string;
    name: string;
    files: Array<{ path: string; sha256: string }>;
    config: { attentionDropout?: number; attentionOutputDropout?: number };
    metadata: {
      data: { sha256: string; users: number };
      metrics: unknown;
      training: {
        init: string;
        adamBeta2: number;
        batchOrder: string;
        weightAverage: number;
        laterTargets: number;
        laterWeight: number;
        labelSmoothing: number;
        weightDecay: number;
      };
    };
  };
  assert.equal(manifest.config.attentionDropout, 0.1);
  assert.equal(manifest.config.attentionOutputDropout, 0);
  assert.equal(manifest.metadata.training.init, 'torch');
  assert.equal(manifest.metadata.training.adamBeta2, 0.999);
  assert.equal(manifest.metadata.training.batchOrder, 'random');
  assert.equal(manifest.metadata.training.weightAverage, 0.9);
  assert.equal(manifest.metadata.training.laterTargets, 2);
  assert.equal(manifest.metadata.training.laterWeight, 0.4);
  assert.equal(manifest.metadata.training.labelSmoothing, 0.05);
  assert.equal(manifest.metadata.training.weightDecay, 0.01);
  assert.equal(manifest.kind, 'sequence');
  assert.equal(manifest.name, 'sasrec');
  assert.deepEqual(manifest.files.map((f) => f.path).sort(), ['vocab.json', 'weights.bin']);
  assert.equal(manifest.metadata.data.users, 40);
  assert.ok(manifest.metadata.metrics);
  assert.deepEqual(
    JSON.parse(readFileSync(join(out, 'vocab.json'), 'utf8')),
    Array.from({ length: 10 }, (_, i) => String(100 + i)),
  );
  const json = join(dir, 'eval.json');
  const e = cli('eval', '--model', out, '--interactions', file, '--json', json);
  assert.equal(e.code, 0, e.stderr);
  assert.match(e.stdout, /NDCG@10/);
  assert.ok(existsSync(json));
  const report = JSON.parse(readFileSync(json, 'utf8')) as {
    users: number;
    metrics: { model: { ndcg10: number }; popularity: { hr10: number } };
  };
  assert.equal(report.users, 40);
  assert.ok(Math.abs(report.metrics.model.ndcg10 - summary.test.ndcg10) < 1e-3);
  assert.equal(report.metrics.popularity.hr10, summary.popularity.test.hr10);
});

test('train a LiGR-block SASRec with a relative attention bias and pointwise SiLU attention on two threads, then eval it from its model directory', () => {
  const file = writeSyntheticSequences('seq-ligr.txt');
  const out = join(dir, 'model-ligr');
  const r = cli(
    'train',
    '--interactions',
    file,
    '--out',
    out,
    '--dim',
    '8',
    '--heads',
    '2',
    '--max-len',
    '6',
    '--blocks',
    '1',
    '--epochs',
    '2',
    '--batch-size',
    '16',
    '--block',
    'ligr',
    '--ff-multiplier',
    '2',
    '--relative-bias',
    '--attention',
    'silu-mean',
    '--init',
    'normal',
    '--threads',
    '2',
    '--quiet',
  );
  assert.equal(r.code, 0, r.stderr);
  const summary = JSON.parse(r.stdout) as { test: { ndcg10: number } };
  const manifest = JSON.parse(readFileSync(join(out, 'manifest.json'), 'utf8')) as {
    config: { block?: string; ffMultiplier?: number; relativeBias?: boolean; attention?: string; weights: { specs: WeightSpec[] } };
  };
  assert.equal(manifest.config.block, 'ligr');
  assert.equal(manifest.config.attention, 'silu-mean');
  assert.equal(manifest.config.ffMultiplier, 2);
  assert.equal(manifest.config.relativeBias, true);
  assert.deepEqual(manifest.config.weights.specs.find((s) => s.name === 'block0.w3')?.shape, [8, 16]);
  const weights = decodeWeights(manifest.config.weights.specs, new Uint8Array(readFileSync(join(out, 'weights.bin'))).buffer);
  const relBias = weights.get('block0.rel_bias');
  assert.deepEqual(relBias?.shape, [2, 6]);
  assert.ok(
    relBias!.data.some((x) => x !== 0),
    'the bias starts at zero and is learned',
  );
  const e = cli('eval', '--model', out, '--interactions', file, '--json', join(dir, 'eval-ligr.json'));
  assert.equal(e.code, 0, e.stderr);
  const report = JSON.parse(readFileSync(join(dir, 'eval-ligr.json'), 'utf8')) as { metrics: { model: { ndcg10: number } } };
  assert.ok(Math.abs(report.metrics.model.ndcg10 - summary.test.ndcg10) < 1e-3, 'eval reloads the same model');
});

test('ensembles: eval with --model repeated, or an ensemble directory; one model twice ranks like the model; members must share a vocabulary', () => {
  const file = writeSyntheticSequences('seq-ensemble.txt');
  const tiny = ['--dim', '8', '--max-len', '6', '--blocks', '1', '--epochs', '2', '--batch-size', '16', '--quiet'];
  const [a, b] = [join(dir, 'ens-a'), join(dir, 'ens-b')];
  for (const [out, seed] of [
    [a, '1'],
    [b, '2'],
  ] as const)
    assert.equal(cli('train', '--interactions', file, '--out', out, '--seed', seed, ...tiny).code, 0);
  type Report = { model: string; members?: string[]; metrics: { model: { ndcg10: number; hr20: number; mrr: number } } };
  const evalOf = (...models: string[]): Report => {
    const json = join(dir, `eval-${models.length}-${Math.random().toString(36).slice(2)}.json`);
    const r = cli('eval', ...models.flatMap((m) => ['--model', m]), '--interactions', file, '--json', json);
    assert.equal(r.code, 0, r.stderr);
    if (models.length > 1) assert.match(r.stdout, new RegExp(`ensemble of ${models.length}`));
    return JSON.parse(readFileSync(json, 'utf8')) as Report;
  };
  const single = evalOf(a);
  assert.equal(single.members, undefined);
  // log-softmax is monotone within a row, so a model averaged with itself ranks every item where it did
  assert.deepEqual(evalOf(a, a).metrics.model, single.metrics.model);
  const pair = evalOf(a, b);
  assert.deepEqual(pair.members, [a, b]);
  assert.equal(pair.model, `${a} + ${b}`);
  // default report path of an ensemble: next to the first member
  assert.equal(cli('eval', '--model', a, '--model', b, '--interactions', file).code, 0);
  assert.ok(existsSync(join(a, 'eval-ensemble.json')));
  // the same ensemble as one model directory evaluates the same
  const ensembleDir = join(dir, 'ens-ab');
  const made = cli('ensemble', '--model', a, '--model', b, '--out', ensembleDir);
  assert.equal(made.code, 0, made.stderr);
  assert.match(made.stdout, /ensemble of 2 models \(10 items/);
  const manifest = JSON.parse(readFileSync(join(ensembleDir, 'manifest.json'), 'utf8')) as {
    name: string;
    files: Array<{ path: string }>;
    config: { members: unknown[] };
    metadata: { members: Array<{ source: string }> };
  };
  assert.equal(manifest.name, 'ensemble');
  assert.deepEqual(
    manifest.files.map((f) => f.path),
    ['vocab.json', 'member-0.bin', 'member-1.bin'],
  );
  assert.deepEqual(readFileSync(join(ensembleDir, 'member-1.bin')), readFileSync(join(b, 'weights.bin')));
  assert.deepEqual(
    manifest.metadata.members.map((m) => m.source),
    [a, b],
  );
  assert.deepEqual(evalOf(ensembleDir).metrics.model, pair.metrics.model);
  const blended = cli('blend', '--model', ensembleDir, '--interactions', file, '--json', join(dir, 'blend-ensemble.json'));
  assert.equal(blended.code, 0, blended.stderr);
  const blendReport = JSON.parse(readFileSync(join(dir, 'blend-ensemble.json'), 'utf8')) as {
    users: number;
    test: { sequence: { ndcg10: number } };
  };
  assert.equal(blendReport.users, 40);
  assert.ok(Math.abs(blendReport.test.sequence.ndcg10 - pair.metrics.model.ndcg10) < 1e-3, 'blend scores the ensemble like eval');
  let bad = cli('ensemble', '--model', a, '--out', join(dir, 'ens-one'));
  assert.match(bad.stderr, /error \(invalid-argument\): --model must be given at least twice \(got 1\)/);
  bad = cli('ensemble', '--model', a, '--model', ensembleDir, '--out', join(dir, 'ens-nested'));
  assert.match(
    bad.stderr,
    /error \(invalid-argument\): --model .*ens-ab is a sequence model "ensemble"; ensemble members must be single sasrec or gru models/,
  );
  noStack(bad.stderr);
  // a model over other items cannot join the ensemble
  const otherFile = join(dir, 'seq-other-items.txt');
  writeFileSync(otherFile, readFileSync(file, 'utf8').replace(/ 10(\d)$/gm, ' 20$1'));
  const other = join(dir, 'ens-other');
  assert.equal(cli('train', '--interactions', otherFile, '--out', other, ...tiny).code, 0);
  const r = cli('eval', '--model', a, '--model', other, '--interactions', file);
  assert.equal(r.code, 1);
  assert.match(
    r.stderr,
    /error \(invalid-argument\): --model .*ens-other has a different item vocabulary \(10 items\) from --model .*ens-a/,
  );
  noStack(r.stderr);
  assert.match(
    cli('ensemble', '--model', a, '--model', other, '--out', join(dir, 'ens-mixed')).stderr,
    /ens-other has a different item vocabulary/,
  );
});

test('ensemble --transitions: a transition table counted on the training part joins one or more models', () => {
  // every user steps through the items in order, so the item after k is always k + 1
  const file = writeSyntheticSequences('seq-transitions.txt');
  const a = join(dir, 'tr-a');
  assert.equal(
    cli(
      'train',
      '--interactions',
      file,
      '--out',
      a,
      '--dim',
      '8',
      '--max-len',
      '6',
      '--blocks',
      '1',
      '--epochs',
      '1',
      '--batch-size',
      '16',
      '--quiet',
    ).code,
    0,
  );
  type Report = { metrics: { model: { ndcg10: number; hr10: number; hr5: number } } };
  const evalOf = (model: string): Report => {
    const json = join(dir, `eval-tr-${Math.random().toString(36).slice(2)}.json`);
    const r = cli('eval', '--model', model, '--interactions', file, '--json', json);
    assert.equal(r.code, 0, r.stderr);
    return JSON.parse(readFileSync(json, 'utf8')) as Report;
  };
  const alone = evalOf(a);
  const strong = join(dir, 'tr-strong');
  const made = cli(
    'ensemble',
    '--model',
    a,
    '--transitions',
    file,
    '--transitions-recent',
    '1',
    '--transitions-weight',
    '5',
    '--out',
    strong,
  );
  assert.equal(made.code, 0, made.stderr);
  assert.match(made.stdout, /ensemble of 1 model \+ 10 item transitions \(weight 5\) \(10 items/);
  const manifest = JSON.parse(readFileSync(join(strong, 'manifest.json'), 'utf8')) as {
    files: Array<{ path: string }>;
    config: { transitions: Record<string, number | string> };
    metadata: { transitions: { file: string; sha256: string } };
  };
  assert.deepEqual(
    manifest.files.map((f) => f.path),
    ['vocab.json', 'member-0.bin', 'transitions.bin'],
  );
  assert.deepEqual(manifest.config.transitions, { path: 'transitions.bin', pairs: 10, recent: 1, decay: 0.8, smoothing: 100, weight: 5 });
  assert.equal(manifest.metadata.transitions.file, file);
  const withTable = evalOf(strong);
  assert.ok(
    withTable.metrics.model.ndcg10 > 0.95 && withTable.metrics.model.ndcg10 > alone.metrics.model.ndcg10,
    `${alone.metrics.model.ndcg10} → ${withTable.metrics.model.ndcg10}`,
  );
  // weight 0: the table is there but changes no score
  const off = join(dir, 'tr-off');
  assert.equal(cli('ensemble', '--model', a, '--transitions', file, '--transitions-weight', '0', '--out', off).code, 0);
  assert.deepEqual(evalOf(off).metrics.model, alone.metrics.model);
  let bad = cli('ensemble', '--model', a, '--transitions-weight', '1', '--out', join(dir, 'tr-bad'));
  assert.match(bad.stderr, /error \(invalid-argument\): --transitions-weight needs --transitions <interactions>/);
  noStack(bad.stderr);
  bad = cli('ensemble', '--model', a, '--transitions', file, '--transitions-smoothing', '0', '--out', join(dir, 'tr-bad'));
  assert.match(bad.stderr, /--transitions-smoothing must be a number >= 0.000001/);
  bad = cli('ensemble', '--transitions', file, '--out', join(dir, 'tr-bad'));
  assert.match(bad.stderr, /--model must be given at least once \(got 0\)/);
  // counted on other interactions than the members were trained on: refused
  const shifted = join(dir, 'seq-transitions-other.txt');
  writeFileSync(shifted, `${readFileSync(file, 'utf8')}u41 100\nu41 101\nu41 102\n`);
  bad = cli('ensemble', '--model', a, '--transitions', shifted, '--out', join(dir, 'tr-bad'));
  assert.match(
    bad.stderr,
    /error \(invalid-argument\): --transitions .*seq-transitions-other\.txt is not the file --model .*tr-a was trained on/,
  );
  noStack(bad.stderr);
  assert.equal(existsSync(join(dir, 'tr-bad')), false, 'nothing written after an error');
});
