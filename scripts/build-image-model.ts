/**
 * Builds the image encoder artefact `public/models/image/` from the
 * MobileNetV2 bundled in the npm package `nsfwjs` (MIT, Infinite Red).
 *
 *   node --import tsx scripts/build-image-model.ts [--out public/models/image]
 *
 * nsfwjs ships the model as two UMD scripts in dist/models/mobilenet_v2/:
 * `model.min.js` exports the tfjs layers-model JSON (Keras 2.2.4 functional
 * MobileNetV2, 224×224×3 input, already uint8-quantised weight specs) and
 * `group1-shard1of1.min.js` exports the weight shard as a base64 string.
 * We cut the graph at `flatten_1`, the global 7×7 average pool of the last
 * 1280-channel ReLU6 block (the input of nsfwjs's own classifier head), drop
 * the head's weights (dense_1..dense_3), and write:
 *  - model.json    tfjs layers-model JSON (format `layers-model`), weights in weights.bin
 *  - weights.bin   the kept uint8-quantised weights, byte-identical to nsfwjs's
 *  - LICENSE       nsfwjs's MIT licence (not in the manifest's files)
 *  - manifest.json
 * Input normalisation (what nsfwjs does before predict): RGB / 255 → [0, 1],
 * bilinear resize with alignCorners = true. Deterministic output.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { utf8, writeModelDir } from './model-artifacts';

const PKG = 'node_modules/nsfwjs';
const CUT_LAYER = 'flatten_1';
const FEATURE_DIM = 1280;
const SIZE = 224;

interface LayerJson {
  name: string;
  class_name: string;
  config: Record<string, unknown>;
  inbound_nodes: unknown[];
}
interface WeightSpec {
  name: string;
  shape: number[];
  dtype: string;
  quantization?: { dtype: string; min?: number; scale?: number };
}
interface ModelJson {
  modelTopology: {
    model_config: { class_name: string; config: { name: string; layers: LayerJson[]; input_layers: unknown; output_layers: unknown } };
  } & Record<string, unknown>;
  weightsManifest: Array<{ paths: string[]; weights: WeightSpec[] }>;
  format?: string;
  generatedBy?: string;
  convertedBy?: string;
}

const BYTES: Record<string, number> = { uint8: 1, uint16: 2, float16: 2, float32: 4, int32: 4 };

function specBytes(s: WeightSpec): number {
  const n = s.shape.reduce((a, b) => a * b, 1);
  const per = BYTES[s.quantization?.dtype ?? s.dtype];
  if (per === undefined) throw new Error(`unsupported weight dtype in ${s.name}`);
  return n * per;
}

/** Names of the layers `inbound_nodes` reaches from `layerName`, the layer included. */
function ancestors(layers: LayerJson[], layerName: string): Set<string> {
  const byName = new Map(layers.map((l) => [l.name, l]));
  const seen = new Set<string>();
  const stack = [layerName];
  while (stack.length > 0) {
    const name = stack.pop()!;
    if (seen.has(name)) continue;
    const layer = byName.get(name);
    if (!layer) throw new Error(`layer ${name} not found`);
    seen.add(name);
    for (const node of layer.inbound_nodes as unknown[][]) {
      for (const edge of node as unknown[][]) stack.push(String(edge[0]));
    }
  }
  return seen;
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { out: { type: 'string', default: 'public/models/image' } } });
  const outDir = resolve(values.out ?? 'public/models/image');
  const pkgDir = resolve(PKG);
  const pkgJson = JSON.parse(readFileSync(join(pkgDir, 'package.json'), 'utf8')) as { name: string; version: string };
  // The bundles are CommonJS (dist/models/package.json says so) UMD wrappers around plain data.
  const require = createRequire(join(pkgDir, 'dist/models/package.json'));
  const modelJson = require('./mobilenet_v2/model.min.js') as ModelJson;
  const shardB64 = require('./mobilenet_v2/group1-shard1of1.min.js') as string;
  if (typeof shardB64 !== 'string') throw new Error('unexpected shard bundle format');
  const shard = Buffer.from(shardB64, 'base64');
  if (modelJson.weightsManifest.length !== 1) throw new Error('expected one weight group');
  const group = modelJson.weightsManifest[0]!;

  // --- topology: keep the ancestors of the cut layer ---
  const topo = structuredClone(modelJson.modelTopology);
  const cfg = topo.model_config.config;
  const keep = ancestors(cfg.layers, CUT_LAYER);
  const dropped = cfg.layers.filter((l) => !keep.has(l.name)).map((l) => l.name);
  cfg.layers = cfg.layers.filter((l) => keep.has(l.name));
  cfg.output_layers = [[CUT_LAYER, 0, 0]];
  cfg.name = 'mobilenetv2_features';

  // --- weights: slice the kept layers' bytes out of the shard, in manifest order ---
  let offset = 0;
  const kept: WeightSpec[] = [];
  const parts: Buffer[] = [];
  for (const spec of group.weights) {
    const n = specBytes(spec);
    const layer = spec.name.split('/')[0]!;
    if (keep.has(layer)) {
      kept.push(spec);
      parts.push(shard.subarray(offset, offset + n));
    } else if (!dropped.includes(layer)) {
      throw new Error(`weight ${spec.name} belongs to no known layer`);
    }
    offset += n;
  }
  if (offset !== shard.length) throw new Error(`weight specs cover ${offset} bytes, shard has ${shard.length}`);
  const weights = Buffer.concat(parts);
  const paramCount = kept.reduce((a, s) => a + s.shape.reduce((x, y) => x * y, 1), 0);
  console.log(
    `kept ${cfg.layers.length} layers (dropped ${dropped.join(', ')}); ${kept.length} weights, ${paramCount} params, ${weights.length} bytes`,
  );

  const outModel = {
    format: 'layers-model',
    generatedBy: `keras ${String(topo.keras_version ?? 'unknown')} (nsfwjs ${pkgJson.version} MobileNetV2)`,
    convertedBy: 'tastebud scripts/build-image-model.ts',
    modelTopology: topo,
    weightsManifest: [{ paths: ['weights.bin'], weights: kept }],
  };
  const license = readFileSync(join(pkgDir, 'LICENSE'), 'utf8');
  const licenseText = [
    'tastebud image model (public/models/image)',
    '',
    `model.json and weights.bin are the MobileNetV2 of the npm package ${pkgJson.name}@${pkgJson.version}`,
    '(https://github.com/infinitered/nsfwjs), cut before its classification head by',
    'scripts/build-image-model.ts; the kept weights are unchanged. Its licence follows.',
    '',
    license.trimEnd(),
    '',
  ].join('\n');

  const { manifest, totalBytes } = await writeModelDir({
    dir: outDir,
    kind: 'image',
    name: 'mobilenetv2',
    versionPrefix: `mobilenetv2-nsfwjs${pkgJson.version}-${CUT_LAYER}`,
    config: {
      format: 'layers-model',
      modelJson: 'model.json',
      weights: ['weights.bin'],
      inputSize: SIZE,
      dim: FEATURE_DIM,
      outputLayer: CUT_LAYER,
      normalization: { scale: 1 / 255, offset: 0 },
      resize: { method: 'bilinear', alignCorners: true, letterbox: true, padValue: 0 },
    },
    license: `MobileNetV2 weights from ${pkgJson.name}@${pkgJson.version} (MIT, © 2019 Infinite Red, Inc.). See LICENSE in the model directory.`,
    metadata: {
      source: `${pkgJson.name}@${pkgJson.version} dist/models/mobilenet_v2`,
      architecture: 'MobileNetV2 (alpha 1.0, 224×224) fine-tuned by nsfwjs; features = global average pool of out_relu',
      droppedLayers: dropped,
      weightQuantization: 'uint8 affine per tensor (as shipped by nsfwjs), de-quantised to float32 by tfjs at load',
      params: paramCount,
    },
    files: [
      { path: 'model.json', bytes: utf8(`${JSON.stringify(outModel)}\n`), listed: true },
      { path: 'weights.bin', bytes: new Uint8Array(weights), listed: true },
      { path: 'LICENSE', bytes: utf8(licenseText), listed: false },
    ],
  });
  console.log(`wrote ${outDir}: ${(totalBytes / 1e6).toFixed(2)} MB, version ${manifest.version}`);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
