/** Builds the served sequence model (SASRec or GRU) from verified model files, warmed up. */
import { TastebudError } from '../../lib/errors';
import { GruServer } from './gru-serve';
import type { ModelManifest } from './manifest';
import { SasrecServer } from './sasrec-serve';
import { parseSequenceConfig, parseVocabulary } from './sequence/artifacts';
import type { SequenceServer } from './sequence-server';

/** `files` keyed by manifest path, already verified against the manifest's sha256. */
export async function loadSequenceServer(manifest: ModelManifest, files: Map<string, ArrayBuffer>): Promise<SequenceServer> {
  if (manifest.kind !== 'sequence') throw new TastebudError('model-load', `Expected a sequence model, got ${manifest.kind}.`, { field: 'kind' });
  if (manifest.name !== 'sasrec' && manifest.name !== 'gru') {
    throw new TastebudError('model-load', `Sequence model "${manifest.name}" is not supported by this tastebud (sasrec, gru); upgrade tastebud or retrain with \`tastebud train --model sasrec\`.`, { field: 'name' });
  }
  const config = parseSequenceConfig(manifest.config);
  if (config.architecture !== manifest.name) throw new TastebudError('model-load', `Manifest name ${manifest.name} does not match config.architecture ${config.architecture}.`, { field: 'name' });
  const file = (path: string): ArrayBuffer => {
    const bytes = files.get(path);
    if (!bytes) throw new TastebudError('model-load', `Model file ${path} is missing.`, { field: path });
    return bytes;
  };
  const itemIds = parseVocabulary(file(config.vocabulary), config.numItems);
  const Server = config.architecture === 'gru' ? GruServer : SasrecServer;
  const server = new Server(manifest, config, itemIds, file(config.weights.path));
  await server.score(new Int32Array([1])); // warm-up: compiles kernels / shaders before the first real call
  return server;
}
