/** Shared by the sequence-model tests (not a test file itself). */
import { encodeWeights, VOCAB_FILE, WEIGHTS_FILE } from '../common/model-format/sequence';
import { gruParamShapes } from '../workers/models/sequence/gru';
import {
  type AttentionKind,
  type BlockLayout,
  type PositionOrigin,
  sasrecParamShapes,
  type SasrecConfig,
} from '../workers/models/sequence/sasrec';
import { MANIFEST_FORMAT_VERSION, type ModelManifest } from '../common/model-format/manifest';
import { mulberry32 } from '../common/random';

export type ModelFixture = { manifest: ModelManifest; files: Map<string, ArrayBuffer> };

export interface RandomModelOptions {
  /** Seeds the weights; also names the version and the weights file's sha256. */
  seed: number;
  architecture?: 'sasrec' | 'gru';
  numItems?: number;
  maxLen?: number;
  positions?: PositionOrigin;
  block?: BlockLayout;
  relativeBias?: boolean;
  attention?: AttentionKind;
}

/** The tiny model the serving tests share: dim 8, 2 heads, no dropout (1 GRU layer or 2 SASRec blocks). */
export function tinyConfig(options: Omit<RandomModelOptions, 'seed'> = {}): SasrecConfig {
  const { architecture = 'sasrec', numItems = 30, maxLen = 12, positions, block, relativeBias, attention } = options;
  return {
    architecture,
    numItems,
    dim: 8,
    maxLen,
    blocks: architecture === 'gru' ? 1 : 2,
    heads: 2,
    dropout: 0,
    ...(positions ? { positions } : {}),
    ...(block === 'ligr' ? { block, ffMultiplier: 3 } : {}),
    ...(relativeBias === true ? { relativeBias } : {}),
    ...(attention !== undefined && attention !== 'softmax' ? { attention } : {}),
  };
}

/** A model directory in memory with weights drawn uniformly from ±0.7 by a seeded generator (large enough to make every layer matter). */
export function randomSequenceModel(options: RandomModelOptions): ModelFixture {
  const config = tinyConfig(options);
  const rand = mulberry32(options.seed);
  const shapes = config.architecture === 'gru' ? gruParamShapes(config) : sasrecParamShapes(config);
  const tensors = shapes.map(([name, shape]) => ({
    name,
    shape,
    data: new Float32Array(shape.reduce((a, b) => a * b, 1)).map(() => (rand() * 2 - 1) * 0.7),
  }));
  const { specs, bytes } = encodeWeights(tensors);
  const vocab = new TextEncoder().encode(JSON.stringify(Array.from({ length: config.numItems }, (_, i) => `item${i}`)));
  const manifest: ModelManifest = {
    formatVersion: MANIFEST_FORMAT_VERSION,
    kind: 'sequence',
    name: config.architecture,
    version: `test-${options.seed}`,
    files: [{ path: WEIGHTS_FILE, sha256: `sha-${config.architecture}-${options.seed}`, bytes: bytes.byteLength }],
    config: { ...config, weights: { path: WEIGHTS_FILE, dtype: 'float32', byteOrder: 'little-endian', specs }, vocabulary: VOCAB_FILE },
  };
  return {
    manifest,
    files: new Map([
      [WEIGHTS_FILE, bytes.slice().buffer],
      [VOCAB_FILE, vocab.slice().buffer],
    ]),
  };
}

/** Largest absolute difference between two score rows, padding column 0 excluded. */
export function maxAbsDiff(a: Float32Array, b: Float32Array): number {
  let m = 0;
  for (let i = 1; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

/** `len` items of the cycle 1..n starting after `start`: a sequence a tiny model can learn exactly. */
export const cycle = (n: number, start: number, len: number): Int32Array =>
  Int32Array.from({ length: len }, (_, i) => 1 + ((start + i) % n));
