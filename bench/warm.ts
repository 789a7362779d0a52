/**
 * The "warm" block of the cold-start benchmark: the trained sequence model
 * alone vs the hybrid (sequence + content + popularity, weights fitted on the
 * validation targets) on the standard leave-one-out split. Needs a SASRec
 * model directory under bench/.models/ (tastebud train --interactions ml-1m
 * --out bench/.models/sasrec-ml1m); without one the block is null.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { parseManifest, verifyFile } from '../common/model-format/manifest';
import { loadSequenceModel } from '../training/sequence/trained-model';
import type { Ml1m } from './content-data';
import { Acc, round, rankOf } from './content-eval';

export interface WarmInput {
  data: Ml1m;
  counts: Float32Array;
  content: (input: Int32Array) => Float32Array;
  log: (s: string) => void;
  /** A sequence model directory; default: the first under bench/.models/ (ml1m names first). */
  modelDir?: string;
}

export interface WarmResult {
  result: {
    sequence: { ndcg10: number; hr10: number };
    hybrid: { ndcg10: number; hr10: number; contentWeight: number; popularityWeight: number };
  } | null;
  note: string;
}

const MODELS = new URL('.models/', import.meta.url);
const CONTENT_WEIGHTS = [0, 0.02, 0.05, 0.1, 0.2, 0.3, 0.5];
const POP_WEIGHTS = [0, 0.02, 0.05, 0.1, 0.2];

function findModel(): string | null {
  const root = MODELS.pathname;
  if (!existsSync(root)) return null;
  const dirs = readdirSync(root).filter((d) => existsSync(join(root, d, 'manifest.json')));
  dirs.sort(
    (a, b) =>
      Number(b.includes('ml1m')) - Number(a.includes('ml1m')) ||
      Number(a.includes('abort')) - Number(b.includes('abort')) ||
      a.localeCompare(b),
  );
  for (const d of dirs) {
    try {
      const m = JSON.parse(readFileSync(join(root, d, 'manifest.json'), 'utf8')) as { kind?: string };
      if (m.kind === 'sequence') return join(root, d);
    } catch {
      /* not a model */
    }
  }
  return null;
}

export async function warmBlock(input: WarmInput): Promise<WarmResult> {
  const dir = input.modelDir ?? findModel();
  if (!dir)
    return {
      result: null,
      note: 'no trained sequence model under bench/.models/ when this ran; train one (tastebud train --interactions ml-1m --out bench/.models/sasrec-ml1m) and rerun',
    };
  const { data, counts, log } = input;
  const n = data.numItems;
  const manifest = parseManifest(JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')), 'sequence');
  const files = new Map<string, ArrayBuffer>();
  for (const f of manifest.files) {
    const b = readFileSync(join(dir, f.path));
    const ab = b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) as ArrayBuffer;
    await verifyFile(f, ab);
    files.set(f.path, ab);
  }
  if (!(await tf.setBackend('wasm').catch(() => false))) await tf.setBackend('cpu');
  const model = await loadSequenceModel(manifest, files);
  // model item k (1-based) → our item index
  const ours = new Map(data.movieIds.map((m, i) => [String(m), i]));
  const toOurs = Int32Array.from({ length: model.itemIds.length + 1 }, (_, k) => (k === 0 ? 0 : (ours.get(model.itemIds[k - 1]!) ?? 0)));
  const toModel = new Int32Array(n + 1);
  toOurs.forEach((i, k) => {
    if (i > 0) toModel[i] = k;
  });
  const mapped = toOurs.reduce((a, i) => a + (i > 0 ? 1 : 0), 0);
  if (mapped < n * 0.99) {
    model.dispose();
    return { result: null, note: `model ${dir} vocabulary maps to only ${mapped} of ${n} items` };
  }
  log(`warm: sequence model ${dir} (${manifest.version}), backend ${tf.getBackend()}`);

  const logPop = new Float32Array(n + 1);
  let maxPop = 0;
  for (let i = 1; i <= n; i++) {
    logPop[i] = Math.log1p(counts[i]!);
    maxPop = Math.max(maxPop, logPop[i]!);
  }
  for (let i = 1; i <= n; i++) logPop[i] = logPop[i]! / (maxPop || 1);

  const run = (cut: 1 | 2): Map<string, Acc> => {
    const accs = new Map<string, Acc>();
    data.seqs.forEach((s, u) => {
      const hist = s.subarray(0, s.length - cut);
      const target = s[s.length - cut]!;
      const modelHist = Int32Array.from(hist, (i) => toModel[i]!).filter((k) => k > 0);
      const raw = model.score(modelHist).scores;
      const seq = new Float32Array(n + 1).fill(-Infinity);
      let max = 0;
      for (let k = 1; k < raw.length; k++) {
        const i = toOurs[k]!;
        if (i > 0) {
          seq[i] = raw[k]!;
          max = Math.max(max, Math.abs(raw[k]!));
        }
      }
      for (let i = 1; i <= n; i++) seq[i] = seq[i]! / (max || 1);
      const content = input.content(hist);
      for (const wc of CONTENT_WEIGHTS) {
        for (const wp of POP_WEIGHTS) {
          const key = `${wc}/${wp}`;
          let acc = accs.get(key);
          if (!acc) {
            acc = new Acc();
            accs.set(key, acc);
          }
          const total = wc === 0 && wp === 0 ? seq : seq.map((x, i) => x + wc * content[i]! + wp * logPop[i]!);
          acc.add(rankOf(total, target, hist, n));
        }
      }
      if ((u + 1) % 1000 === 0) log(`warm (${cut === 2 ? 'validation' : 'test'}): ${u + 1} users`);
    });
    return accs;
  };
  const valid = run(2);
  let bestKey = '0/0';
  for (const [k, a] of valid) if (a.result().ndcg10 > valid.get(bestKey)!.result().ndcg10) bestKey = k;
  const test = run(1);
  model.dispose();
  const [wc, wp] = bestKey.split('/').map(Number) as [number, number];
  const seqM = test.get('0/0')!.result();
  const hyb = test.get(bestKey)!.result();
  return {
    result: {
      sequence: { ndcg10: seqM.ndcg10, hr10: seqM.hr10 },
      hybrid: { ndcg10: hyb.ndcg10, hr10: hyb.hr10, contentWeight: wc, popularityWeight: wp },
    },
    note: `model ${dir.split('/').slice(-2).join('/')} (${manifest.version}); hybrid = sequence scores / max |score| + wc · content (text+image) + wp · log1p(count)/max, (wc, wp) chosen on the validation targets (validation NDCG@10 ${round(valid.get(bestKey)!.result().ndcg10)} vs sequence alone ${round(valid.get('0/0')!.result().ndcg10)})`,
  };
}
