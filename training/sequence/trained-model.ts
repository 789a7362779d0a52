/**
 * Trained sequence models (SASRec, GRU, ensembles) for the CLI and tests: load a model
 * directory's files (already sha256-verified against the manifest), score
 * histories, export and swap weights (fine-tuning is the worker's: workers/models/fine-tune.ts).
 */
import * as tf from '@tensorflow/tfjs';
import { TastebudError } from '../../common/errors';
import { DEFAULTS } from '../../common/defaults';
import type { ModelManifest } from '../../common/model-format/manifest';
import { encodeWeights, parseSequenceConfig, parseVocabulary, type SequenceModelConfig } from '../../common/model-format/sequence';
import { ENSEMBLE_NAME, type EnsembleConfig, parseEnsembleConfig } from '../../common/model-format/ensemble';
import { EnsembleModel } from './ensemble-model';
import type { SequenceModel } from './sequence-model';
import { decodeTransitions } from '../../common/model-format/transitions';
import { scoreHistories } from './infer';
import { type ParamMap, paramShapes } from './model';
import { assignWeights, weightVariables } from '../../workers/models/sequence/weights';

export type { SequenceModelConfig, WeightSpec } from '../../common/model-format/sequence';

export type { SequenceModel } from './sequence-model';

function fileOf(files: Map<string, ArrayBuffer>, path: string): ArrayBuffer {
  const f = files.get(path);
  if (!f) throw new TastebudError('model-load', `model file ${path} is missing`, { field: path });
  return f;
}

class SasrecModel implements SequenceModel {
  readonly maxLen: number;
  readonly numItems: number;
  private readonly params: ParamMap;
  private readonly initial: ArrayBuffer;
  private disposed = false;

  constructor(
    readonly manifest: ModelManifest,
    readonly config: SequenceModelConfig,
    readonly itemIds: readonly string[],
    weights: ArrayBuffer,
  ) {
    this.maxLen = config.maxLen;
    this.numItems = config.numItems;
    this.initial = weights.slice(0);
    this.params = weightVariables(config.weights.specs, weights, paramShapes(config));
  }

  private check(history: Int32Array): void {
    if (this.disposed) throw new TastebudError('disposed', 'the sequence model was disposed');
    for (let i = 0; i < history.length; i++) {
      const v = history[i] as number;
      if (!(v >= 1 && v <= this.config.numItems))
        throw new TastebudError('invalid-argument', `history[${i}] = ${v} is not a model item index (1..${this.config.numItems})`, {
          field: `history[${i}]`,
        });
    }
  }

  score(history: Int32Array): { scores: Float32Array; contributions: Float32Array } {
    this.check(history);
    const used = Math.min(history.length, this.maxLen);
    const res = scoreHistories(this.params, this.config, [history], true);
    const contributions = new Float32Array(used);
    if (res.attention && used > 0) contributions.set(res.attention.subarray(res.len - used, res.len));
    return { scores: res.scores, contributions };
  }

  scoreBatch(histories: readonly Int32Array[]): Float32Array {
    histories.forEach((h) => this.check(h));
    return scoreHistories(this.params, this.config, histories).scores;
  }

  exportWeights(): Uint8Array {
    const tensors = this.config.weights.specs.map((s) => ({
      name: s.name,
      shape: s.shape,
      data: (this.params.get(s.name) as tf.Variable).dataSync() as Float32Array,
    }));
    return encodeWeights(tensors).bytes;
  }

  importWeights(bytes: ArrayBuffer): void {
    assignWeights(this.params, this.config.weights.specs, bytes);
  }

  reset(): void {
    this.importWeights(this.initial);
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    for (const v of this.params.values()) v.dispose();
    this.params.clear();
  }
}

/** `files` keyed by manifest path, already verified against the manifest's sha256. */
export async function loadSequenceModel(manifest: ModelManifest, files: Map<string, ArrayBuffer>): Promise<SequenceModel> {
  if (manifest.kind !== 'sequence')
    throw new TastebudError('model-load', `expected a sequence model, got ${manifest.kind}`, { field: 'kind' });
  let model: SequenceModel;
  if (manifest.name === ENSEMBLE_NAME) {
    const config = parseEnsembleConfig(manifest.config);
    const itemIds = parseVocabulary(fileOf(files, config.vocabulary), config.numItems);
    const members: SequenceModel[] = [];
    try {
      const t = config.transitions;
      const transitions = t ? { table: decodeTransitions(fileOf(files, t.path), config.numItems, t.pairs), config: t } : undefined;
      for (const c of config.members) members.push(new SasrecModel(manifest, c, itemIds, fileOf(files, c.weights.path)));
      model = new EnsembleModel(manifest, config, itemIds, members, transitions);
    } catch (err) {
      for (const m of members) m.dispose();
      throw err;
    }
  } else {
    if (manifest.name !== 'sasrec' && manifest.name !== 'gru')
      throw new TastebudError('model-load', `sequence model ${manifest.name} is not supported by this tastebud (sasrec, gru, ensemble)`, {
        field: 'name',
      });
    const config = parseSequenceConfig(manifest.config);
    if (config.architecture !== manifest.name)
      throw new TastebudError('model-load', `manifest name ${manifest.name} does not match config.architecture ${config.architecture}`, {
        field: 'name',
      });
    const itemIds = parseVocabulary(fileOf(files, config.vocabulary), config.numItems);
    model = new SasrecModel(manifest, config, itemIds, fileOf(files, config.weights.path));
  }
  await tf.ready();
  return model;
}
