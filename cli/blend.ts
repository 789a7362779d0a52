/**
 * `tastebud blend`: fits the ranking blend weights of a sequence model on
 * validation data (leave-one-out, second-to-last item), reports validation
 * and test NDCG@10 / HR@10 for sequence-only, the fitted blend and
 * popularity, and ships the weights in the model's manifest.json
 * (`metadata.blend`, read by the worker) with `metadata.blendFit`.
 */
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { TastebudError } from '../common/errors';
import { parseManifest } from '../common/model-format/manifest';
import { parseBlend } from '../workers/models/registry';
import { loadSequenceModel } from '../training/sequence/trained-model';
import { mulberry32 } from '../common/random';
import { loadTextEncoder } from '../workers/models/text/encoder';
import { blend } from '../workers/ranking/rank';
import { SEQUENCE_DEFAULT_WEIGHTS, type BlendWeights, type SignalName } from '../workers/ranking/weights';
import { num, required, resolveInteractions } from './args';
import { setupBackend } from '../training/backend';
import { type BlendCase, blendMetrics, type BlendMetrics, evaluateBlend, fitBlend, rankOfTarget, weightsOf } from '../training/blend-fit';
import { blendCatalog, buildWorld, forEachCase, type SequenceScorer } from '../training/blend-signals';
import { leaveOneOut, readInteractions, toSequences } from '../training/data';
import { MetricAccumulator } from '../training/metrics';
import { encodeImageFiles } from '../training/images';
import { itemText, readItems } from '../training/items';
import { readModelDir, shippedModelDir } from '../training/model-dir';

export const BLEND_USAGE = `Usage: tastebud blend --model <dir> --interactions <file|ml-1m|ml-100k> [options]
  --items <file.jsonl>  item metadata, one JSON object a line: { "id", "title"?, "tags"?, "text"?, "image"? }
                        (tags feed the tags signal, title + text the text encoder, image - a JPEG
                        path relative to the items file - the image encoder)
  --data-dir <dir>      where dataset names are looked up (default ../shared/datasets)
  --users N             fit on N validation users, sampled deterministically (default all)
  --rounds 3            coordinate-ascent passes over the signals
  --json <file>         where to write the report (default <model dir>/blend.json)
  --text-model <dir>    text encoder (default the shipped public/models/text)
  --image-model <dir>   image encoder (default the shipped public/models/image)
  --seed 7 --backend wasm|cpu`;

/** sequence only, the fitted blend, SEQUENCE_DEFAULT_WEIGHTS (what the worker uses for a model without a fit; same signals), popularity only. */
type SplitMetrics = { sequence: BlendMetrics; blend: BlendMetrics; defaults: BlendMetrics; popularity: BlendMetrics };

export interface BlendReport {
  model: string;
  interactions: string;
  items?: string;
  protocol: string;
  users: number;
  signals: SignalName[];
  weights: Partial<Record<SignalName, number>>;
  valid: SplitMetrics;
  test: SplitMetrics;
  evaluations: number;
  seconds: number;
}

async function encodeTexts(dir: string, texts: string[]): Promise<{ dim: number; matrix: Float32Array }> {
  const { manifest, files } = await readModelDir(dir, 'text');
  const encoder = await loadTextEncoder(manifest, files);
  try {
    return { dim: encoder.dim, matrix: encoder.encode(texts) };
  } finally {
    encoder.dispose();
  }
}

function sample(users: readonly number[], n: number | undefined, seed: number): number[] {
  if (n === undefined || n >= users.length) return [...users];
  const random = mulberry32(seed);
  const pool = [...users];
  for (let i = pool.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [pool[i], pool[j]] = [pool[j]!, pool[i]!];
  }
  return pool.slice(0, n).sort((a, b) => a - b);
}

function progress(label: string, started: number, unit = 'users'): (done: number, total: number) => void {
  let last = 0;
  return (done, total) => {
    const now = Date.now();
    if (done < total && now - last < 5000) return;
    last = now;
    process.stderr.write(`  ${label}: ${done}/${total} ${unit}, ${((now - started) / 1000).toFixed(0)}s\n`);
  };
}

/** Writes `metadata.blend` and `metadata.blendFit` into manifest.json (only metadata changes; file hashes and version stay valid). */
export function writeBlendToManifest(dir: string, weights: Partial<Record<SignalName, number>>, fit: Record<string, unknown>): void {
  const path = join(dir, 'manifest.json');
  const json = JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;
  const metadata =
    typeof json.metadata === 'object' && json.metadata !== null && !Array.isArray(json.metadata)
      ? (json.metadata as Record<string, unknown>)
      : {};
  json.metadata = { ...metadata, blend: weights, blendFit: fit };
  const manifest = parseManifest(json, 'sequence');
  if (parseBlend(manifest.metadata) === undefined)
    throw new TastebudError('internal', 'the fitted blend weights did not survive the manifest parser');
  const tmp = `${path}.tmp`;
  writeFileSync(tmp, `${JSON.stringify(json, null, 2)}\n`);
  renameSync(tmp, path);
}

export async function blendCommand(argv: string[]): Promise<BlendReport> {
  const { values } = parseArgs({
    args: argv,
    options: {
      model: { type: 'string' },
      interactions: { type: 'string' },
      items: { type: 'string' },
      'data-dir': { type: 'string' },
      users: { type: 'string' },
      rounds: { type: 'string' },
      json: { type: 'string' },
      'text-model': { type: 'string' },
      'image-model': { type: 'string' },
      seed: { type: 'string' },
      backend: { type: 'string' },
    },
    strict: true,
  });
  const dir = required(values.model, 'model', BLEND_USAGE);
  const file = resolveInteractions(required(values.interactions, 'interactions', BLEND_USAGE), values['data-dir']);
  const users = values.users === undefined ? undefined : num(values.users, 'users', 0, { int: true, min: 1 });
  const rounds = num(values.rounds, 'rounds', 3, { int: true, min: 1, max: 20 });
  const seed = num(values.seed, 'seed', 7, { int: true });
  const t0 = Date.now();
  const { manifest, files } = await readModelDir(dir, 'sequence');
  const items = values.items === undefined ? undefined : readItems(values.items);
  const log = await readInteractions(file);

  const backend = await setupBackend(values.backend ?? 'wasm');
  const model = await loadSequenceModel(manifest, files); // a single model or an ensemble
  const itemIds = model.itemIds;
  const catalog = blendCatalog(itemIds, items);
  if (items) {
    const matched = itemIds.filter((id) => items.has(id)).length;
    process.stderr.write(`items: ${items.size} in ${values.items}, ${matched} of the model's ${itemIds.length} items among them\n`);
  }
  const names: SignalName[] = ['sequence', 'popularity', 'cooccurrence'];
  if (catalog.items.some((i) => i.tags.length > 0)) names.push('tags');
  let text: { dim: number; matrix: Float32Array } | undefined;
  const texts = catalog.items.map((i) => {
    const meta = items?.get(i.id);
    return meta ? itemText(meta) : '';
  });
  if (texts.some((t) => t !== '')) {
    const started = Date.now();
    text = await encodeTexts(values['text-model'] ?? shippedModelDir('text'), texts);
    names.push('contentText');
    process.stderr.write(`text vectors: ${texts.filter((t) => t !== '').length} items in ${((Date.now() - started) / 1000).toFixed(1)}s\n`);
  }
  let image: { dim: number; matrix: Float32Array } | undefined;
  const imagePaths = catalog.items.map((i) => items?.get(i.id)?.image);
  if (imagePaths.some((p) => p !== undefined)) {
    const started = Date.now();
    const encoded = await encodeImageFiles(
      values['image-model'] ?? shippedModelDir('image'),
      imagePaths,
      progress('images', started, 'items'),
    );
    for (const f of encoded.failures.slice(0, 5))
      process.stderr.write(`warning: image of item ${catalog.items[f.index]!.id} skipped: ${f.path}: ${f.reason}\n`);
    if (encoded.failures.length > 5) process.stderr.write(`warning: ${encoded.failures.length - 5} more images skipped\n`);
    process.stderr.write(
      `image vectors: ${encoded.encoded} items in ${((Date.now() - started) / 1000).toFixed(1)}s (${encoded.failures.length} skipped)\n`,
    );
    if (encoded.encoded > 0) {
      image = encoded;
      names.push('contentImage');
    }
  }

  const { seqs, unknown } = toSequences(log, itemIds);
  const { train, evalUsers } = leaveOneOut(seqs);
  if (evalUsers.length === 0)
    throw new TastebudError('invalid-argument', `${file}: no validation users (no user has 3 interactions with items known to the model)`, {
      field: 'interactions',
    });
  const chosen = sample(evalUsers, users, seed);
  const world = buildWorld(catalog, itemIds, train, text, image);
  const score: SequenceScorer = (h) => model.scoreBatch(h);
  process.stderr.write(
    `blend: ${chosen.length} of ${evalUsers.length} users, ${itemIds.length} items, signals ${names.join(', ')} (${backend})\n`,
  );

  const validCases: BlendCase[] = [];
  let started = Date.now();
  forEachCase(world, score, seqs, chosen, names, { cut: 2, onBatch: progress('validation signals', started) }, (c) => validCases.push(c));
  started = Date.now();
  const fit = fitBlend(validCases, names, {
    rounds,
    onStep: (s) =>
      process.stderr.write(
        `  fit round ${s.round}: ${s.signal} = ${s.weight}, valid NDCG@10 ${s.ndcg10.toFixed(4)} (${s.evaluations} evaluations, ${((Date.now() - started) / 1000).toFixed(0)}s)\n`,
      ),
  });
  const popularityOnly = weightsOf({ popularity: 1 });
  const defaults = weightsOf(Object.fromEntries(names.map((name) => [name, SEQUENCE_DEFAULT_WEIGHTS[name]])));
  const valid: SplitMetrics = {
    sequence: fit.sequenceOnly,
    blend: fit.blended,
    defaults: evaluateBlend(validCases, defaults),
    popularity: evaluateBlend(validCases, popularityOnly),
  };
  validCases.length = 0;

  const sets: Array<[keyof SplitMetrics, BlendWeights]> = [
    ['sequence', weightsOf({ sequence: 1 })],
    ['blend', fit.weights],
    ['defaults', defaults],
    ['popularity', popularityOnly],
  ];
  const acc = sets.map(() => new MetricAccumulator());
  started = Date.now();
  forEachCase(world, score, seqs, chosen, names, { cut: 1, onBatch: progress('test', started) }, (c) => {
    const size = catalog.items.length;
    sets.forEach(([, w], k) => acc[k]!.add(rankOfTarget(blend(c.signals, w, size), c.target, c.seen)));
  });
  model.dispose();
  const test = Object.fromEntries(sets.map(([name], k) => [name, blendMetrics(acc[k]!)])) as SplitMetrics;

  const r4 = (m: BlendMetrics): BlendMetrics => ({
    users: m.users,
    ndcg10: Math.round(m.ndcg10 * 1e4) / 1e4,
    hr10: Math.round(m.hr10 * 1e4) / 1e4,
  });
  const roundSplit = (m: SplitMetrics): SplitMetrics => ({
    sequence: r4(m.sequence),
    blend: r4(m.blend),
    defaults: r4(m.defaults),
    popularity: r4(m.popularity),
  });
  const report: BlendReport = {
    model: dir,
    interactions: file,
    ...(values.items ? { items: values.items } : {}),
    protocol:
      'leave-one-out; fit on validation (second-to-last item), full ranking over the model items, seen masked; sequence weight fixed at 1',
    users: chosen.length,
    signals: names,
    weights: fit.fitted,
    valid: roundSplit(valid),
    test: roundSplit(test),
    evaluations: fit.evaluations,
    seconds: Math.round((Date.now() - t0) / 100) / 10,
  };
  writeBlendToManifest(dir, fit.fitted, {
    users: chosen.length,
    signals: names,
    date: new Date().toISOString(),
    interactionsSha256: log.fingerprint.sha256,
    ...(values.items ? { items: values.items } : {}),
    valid: { sequence: report.valid.sequence.ndcg10, blend: report.valid.blend.ndcg10 },
    test: { sequence: report.test.sequence.ndcg10, blend: report.test.blend.ndcg10 },
  });
  const out = values.json ?? join(dir, 'blend.json');
  writeFileSync(out, `${JSON.stringify(report, null, 2)}\n`);
  process.stdout.write(`${table(report, itemIds.length, unknown)}\nwritten to ${join(dir, 'manifest.json')} (metadata.blend) and ${out}\n`);
  return report;
}

function table(report: BlendReport, items: number, unknown: number): string {
  const row = (name: string, split: SplitMetrics, key: keyof SplitMetrics): string =>
    `${name.padEnd(18)} ${[split[key].ndcg10, split[key].hr10].map((x) => x.toFixed(4).padStart(8)).join(' ')}`;
  const lines = [`${report.users} users, ${items} items${unknown ? `; ${unknown} interactions with unknown items skipped` : ''}`];
  for (const [label, split] of [
    ['validation', report.valid],
    ['test', report.test],
  ] as const) {
    lines.push(
      `${label.padEnd(18)} ${'NDCG@10'.padStart(8)} ${'HR@10'.padStart(8)}`,
      row('  sequence only', split, 'sequence'),
      row('  fitted blend', split, 'blend'),
      row('  default weights', split, 'defaults'),
      row('  popularity', split, 'popularity'),
    );
  }
  lines.push(
    `weights: ${Object.entries(report.weights)
      .map(([k, v]) => `${k} ${v}`)
      .join(', ')}`,
  );
  return lines.join('\n');
}
