/** Builds the served sequence model (SASRec, GRU or an ensemble of them) from verified model files, warmed up. */
import { TastebudError } from '../../../common/errors';
import { EnsembleServer } from './ensemble';
import { GruServer } from './gru';
import type { ModelManifest } from '../../../common/model-format/manifest';
import { SasrecServer } from './sasrec';
import { parseSequenceConfig, parseVocabulary, type SequenceModelConfig } from '../../../common/model-format/sequence';
import { ENSEMBLE_NAME, parseEnsembleConfig } from '../../../common/model-format/ensemble';
import type { SequenceServer } from './server';
import { decodeTransitions } from '../../../common/model-format/transitions';

function singleServer(
  manifest: ModelManifest,
  config: SequenceModelConfig,
  itemIds: readonly string[],
  weights: ArrayBuffer,
): SequenceServer {
  const Server = config.architecture === 'gru' ? GruServer : SasrecServer;
  return new Server(manifest, config, itemIds, weights);
}

/** `files` keyed by manifest path, already verified against the manifest's sha256. */
export async function loadSequenceServer(manifest: ModelManifest, files: Map<string, ArrayBuffer>): Promise<SequenceServer> {
  if (manifest.kind !== 'sequence')
    throw new TastebudError('model-load', `Expected a sequence model, got ${manifest.kind}.`, { field: 'kind' });
  if (manifest.name !== 'sasrec' && manifest.name !== 'gru' && manifest.name !== ENSEMBLE_NAME) {
    throw new TastebudError(
      'model-load',
      `Sequence model "${manifest.name}" is not supported by this tastebud (sasrec, gru, ensemble); upgrade tastebud or retrain with \`tastebud train --model sasrec\`.`,
      { field: 'name' },
    );
  }
  const file = (path: string): ArrayBuffer => {
    const bytes = files.get(path);
    if (!bytes) throw new TastebudError('model-load', `Model file ${path} is missing.`, { field: path });
    return bytes;
  };
  let server: SequenceServer;
  if (manifest.name === ENSEMBLE_NAME) {
    const config = parseEnsembleConfig(manifest.config);
    const itemIds = parseVocabulary(file(config.vocabulary), config.numItems);
    const members: SequenceServer[] = [];
    try {
      const t = config.transitions;
      const transitions = t ? { table: decodeTransitions(file(t.path), config.numItems, t.pairs), config: t } : undefined;
      for (const c of config.members) members.push(singleServer(manifest, c, itemIds, file(c.weights.path)));
      server = new EnsembleServer(manifest, config, itemIds, members, transitions);
    } catch (err) {
      for (const m of members) m.dispose();
      throw err;
    }
  } else {
    const config = parseSequenceConfig(manifest.config);
    if (config.architecture !== manifest.name)
      throw new TastebudError('model-load', `Manifest name ${manifest.name} does not match config.architecture ${config.architecture}.`, {
        field: 'name',
      });
    server = singleServer(manifest, config, parseVocabulary(file(config.vocabulary), config.numItems), file(config.weights.path));
  }
  // No warm-up here: the registry's self-check of a download is one, and a cached model warms up after the first result.
  return server;
}
