/**
 * Node micro-benchmark of recommend()'s two halves with the worker's own code:
 * the sequence model's score() (full forward vs last row vs an append that
 * reuses the kept keys/values) on tfjs-wasm and tfjs-cpu, and the ranking
 * pass (popularity only) for a 200- and a 10,000-event user.
 *   node --import tsx bench/serving.ts [--backends wasm,cpu] [--runs 30]
 * Writes bench/results/serving.json. Reports, never fails for being slow.
 */
import { writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { mulberry32 } from '../common/random';
import { MANIFEST_FORMAT_VERSION, type ModelManifest } from '../common/model-format/manifest';
import { encodeWeights, VOCAB_FILE, WEIGHTS_FILE } from '../common/model-format/sequence';
import { composeEnsemble, ENSEMBLE_NAME } from '../common/model-format/ensemble';
import { buildTransitions } from '../common/model-format/transitions';
import { sasrecParamShapes, type PositionOrigin, type SasrecConfig } from '../workers/models/sequence/sasrec';
import { loadSequenceServer } from '../workers/models/serving/load';
import { SasrecServer } from '../workers/models/serving/sasrec';
import type { SequenceServer } from '../workers/models/serving/server';
import { buildCatalog } from '../workers/ranking/catalog';
import { indexCooccurrence } from '../workers/ranking/signals';
import { recommendFor } from '../workers/recommend';
import { UserHistoryCache } from '../workers/user-cache';
import { PROFILE_WINDOW } from '../workers/ranking/profile';
import type { StoredEvent } from '../common/types';
import { median, round } from './stats';

type Files = { manifest: ModelManifest; files: Map<string, ArrayBuffer> };

function sasrecModel(numItems: number, blocks: number, positions: PositionOrigin, seed: number): Files {
  const config: SasrecConfig = { architecture: 'sasrec', numItems, dim: 64, maxLen: 200, blocks, heads: 2, dropout: 0, positions };
  const rand = mulberry32(seed);
  const tensors = sasrecParamShapes(config).map(([name, shape]) => ({
    name,
    shape,
    data: new Float32Array(shape.reduce((a, b) => a * b, 1)).map(() => (rand() * 2 - 1) * 0.1),
  }));
  const { specs, bytes } = encodeWeights(tensors);
  const vocab = new TextEncoder().encode(JSON.stringify(Array.from({ length: numItems }, (_, i) => `i${i + 1}`)));
  return {
    manifest: {
      formatVersion: MANIFEST_FORMAT_VERSION,
      kind: 'sequence',
      name: 'sasrec',
      version: `bench-${seed}`,
      files: [{ path: WEIGHTS_FILE, sha256: `bench-${seed}`, bytes: bytes.byteLength }],
      config: { ...config, weights: { path: WEIGHTS_FILE, dtype: 'float32', byteOrder: 'little-endian', specs }, vocabulary: VOCAB_FILE },
    },
    files: new Map([
      [WEIGHTS_FILE, bytes.slice().buffer],
      [VOCAB_FILE, vocab.slice().buffer],
    ]),
  };
}

function ensembleModel(numItems: number, positions: PositionOrigin): Files {
  const members = [sasrecModel(numItems, 3, positions, 1), sasrecModel(numItems, 3, positions, 2)];
  const rand = mulberry32(3);
  const train = Array.from({ length: 500 }, () => Int32Array.from({ length: 50 }, () => 1 + Math.floor(rand() * numItems)));
  const { bytes, pairs } = buildTransitions(train, numItems);
  const { config, files } = composeEnsemble(
    members.map((m, i) => ({ name: `member ${i}`, ...m })),
    { bytes, config: { recent: 4, decay: 0.8, smoothing: 5, weight: 0.7, pairs } },
  );
  return {
    manifest: {
      formatVersion: MANIFEST_FORMAT_VERSION,
      kind: 'sequence',
      name: ENSEMBLE_NAME,
      version: 'bench-ensemble',
      files: files.map((f, i) => ({ path: f.path, sha256: String(i).repeat(64), bytes: f.bytes.byteLength })),
      config: { ...config },
    },
    files: new Map(files.map((f) => [f.path, f.bytes.slice().buffer])),
  };
}

function history(length: number, numItems: number, seed: number): Int32Array {
  const rand = mulberry32(seed);
  return Int32Array.from({ length }, () => 1 + Math.floor(rand() * numItems));
}

async function p50(runs: number, once: (run: number) => Promise<unknown>): Promise<number> {
  for (let i = 0; i < 3; i++) await once(-1 - i);
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    await once(i);
    times.push(performance.now() - t0);
  }
  return round(median([...times].sort((a, b) => a - b)));
}

function load({ manifest, files }: Files): Promise<SequenceServer> {
  return loadSequenceServer(manifest, files);
}

/** The serving path before the last-row change: the full forward's hidden states, then the final row's logits. */
async function fullForward(server: SasrecServer, ids: Int32Array): Promise<void> {
  const t = tf.tidy(() => {
    const hidden = server.hiddenStates(ids);
    const last = tf.slice(hidden, [ids.length - 1, 0], [1, hidden.shape[1]]);
    return tf.matMul(last, server.variables()[0]!, false, true);
  });
  await t.data();
  t.dispose();
}

interface Row {
  backend: string;
  case: string;
  items: number;
  p50Ms: number;
  baselineP50Ms?: number;
  keptBytes?: number;
}

async function sequenceRows(backend: string, runs: number): Promise<Row[]> {
  const rows: Row[] = [];
  for (const items of [3706, 100_000]) {
    for (const blocks of [2, 3]) {
      const server = (await load(sasrecModel(items, blocks, 'from-end', 7))) as SasrecServer;
      const h = history(200, items, 1);
      const baseline = await p50(runs, () => fullForward(server, h));
      rows.push({
        backend,
        case: `SASRec ${blocks} blocks, 200 events, last row (from-end)`,
        items,
        p50Ms: await p50(runs, () => server.score(h)),
        baselineP50Ms: baseline,
      });
      server.dispose();
      const cached = (await load(sasrecModel(items, blocks, 'from-start', 7))) as SasrecServer;
      const long = history(199, items, 2);
      // an append to a 150-event history: score 150, then 151 (the 151 alone is timed)
      const timesAppend: number[] = [];
      for (let i = -3; i < runs; i++) {
        await cached.score(long.subarray(0, 150));
        const t0 = performance.now();
        await cached.score(long.subarray(0, 151));
        if (i >= 0) timesAppend.push(performance.now() - t0);
      }
      const keptBytes = cached.keptBytes();
      rows.push({
        backend,
        case: `SASRec ${blocks} blocks, append to 150 events (from-start, kept keys/values)`,
        items,
        p50Ms: round(median(timesAppend.sort((a, b) => a - b))),
        baselineP50Ms: await p50(runs, () => fullForward(cached, long.subarray(0, 151))),
        keptBytes,
      });
      cached.dispose();
    }
    for (const positions of ['from-end', 'from-start'] as const) {
      const ensemble: SequenceServer = await load(ensembleModel(items, positions));
      const h = history(200, items, 3);
      rows.push({
        backend,
        case: `ensemble 2×3 blocks + transitions, 200 events (${positions})`,
        items,
        p50Ms: await p50(runs, () => ensemble.score(h)),
      });
      const times: number[] = [];
      for (let i = -3; i < runs; i++) {
        await ensemble.score(h.subarray(0, 150));
        const t0 = performance.now();
        await ensemble.score(h.subarray(0, 151));
        if (i >= 0) times.push(performance.now() - t0);
      }
      rows.push({
        backend,
        case: `ensemble 2×3 blocks + transitions, append to 150 events (${positions})`,
        items,
        p50Ms: round(median(times.sort((a, b) => a - b))),
      });
      ensemble.dispose();
    }
  }
  return rows;
}

async function rankingRows(runs: number): Promise<Row[]> {
  const rows: Row[] = [];
  for (const items of [3706, 100_000]) {
    const catalog = buildCatalog(
      Array.from({ length: items }, (_, i) => ({ id: `i${i + 1}`, tags: [`g${i % 18}`, `g${(i * 7 + 3) % 18}`] })),
    );
    const popularity = new Map(catalog.items.map((item, i) => [item.id, Math.max(1, Math.round(100_000 / (i + 1)))]));
    const neighbors = indexCooccurrence(undefined, catalog);
    for (const events of [200, 10_000]) {
      const rand = mulberry32(5);
      const all: StoredEvent[] = Array.from({ length: events }, (_, i) => ({
        itemId: `i${1 + Math.floor(rand() * items)}`,
        type: 'view',
        at: 1_000_000 + events - i,
      }));
      const cache = new UserHistoryCache(async () => ({ recent: all.slice(0, PROFILE_WINDOW), seen: new Set(all.map((e) => e.itemId)) }));
      const call = async (): Promise<void> => {
        const { recent, seen } = await cache.history();
        await recommendFor({ catalog, neighbors, popularity, history: recent, seen, seenMask: await cache.seenMask(catalog) }, { k: 10 });
      };
      rows.push({ backend: 'js', case: `ranking, popularity only, ${events} events`, items, p50Ms: await p50(runs, call) });
    }
  }
  return rows;
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { backends: { type: 'string', default: 'wasm,cpu' }, runs: { type: 'string', default: '30' } } });
  const runs = Number(values.runs);
  const loadBefore = loadavg();
  const rows: Row[] = await rankingRows(runs * 3);
  for (const backend of values.backends!.split(',')) {
    await tf.setBackend(backend);
    await tf.ready();
    rows.push(...(await sequenceRows(backend, backend === 'cpu' ? Math.min(runs, 10) : runs)));
  }
  const loadAfter = loadavg();
  for (const r of rows)
    console.log(
      `${r.backend.padEnd(5)} ${String(r.items).padStart(6)}  ${r.case.padEnd(78)} p50 ${r.p50Ms} ms${r.baselineP50Ms !== undefined ? ` (full forward ${r.baselineP50Ms} ms)` : ''}${r.keptBytes ? ` kept ${r.keptBytes} B` : ''}`,
    );
  console.log(
    `load average before ${loadBefore.map((l) => l.toFixed(2)).join(' ')}, after ${loadAfter.map((l) => l.toFixed(2)).join(' ')}`,
  );
  writeFileSync('bench/results/serving.json', `${JSON.stringify({ node: process.version, loadBefore, loadAfter, rows }, null, 2)}\n`);
}

await main();
