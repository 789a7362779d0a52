/**
 * Item vectors shipped with the catalog (`tastebud embed`, `models.itemVectors`):
 * fetched and sha256-verified like a model (and cached in IndexedDB for the
 * next visit), decoded once, and looked up by encoder key, item id and content hash.
 */
import { toTastebudError } from '../../common/errors';
import type { ModelInfo, ProgressEvent } from '../../common/types';
import {
  decodeRows,
  encoderKey,
  parseItemVectorsConfig,
  parseItemVectorsIndex,
  type ContentKind,
} from '../../common/model-format/item-vectors';
import type { Database } from '../storage/db';
import { loadModelFiles } from '../models/loader';

export interface ShippedRows {
  kind: ContentKind;
  /** `kind:name@version` of the encoder that computed them. */
  key: string;
  dim: number;
  /** n × dim, in `ids` order. */
  matrix: Float32Array;
  rowOf: Map<string, number>;
  /** Content hash per row; null = the item had no such content. */
  hashes: ReadonlyArray<string | null>;
}

export interface ShippedVectors {
  byKey: Map<string, ShippedRows>;
  /** Every encoder in the directory, also those whose version this page's models do not match. */
  keys: string[];
}

/** The row of `itemId` when it was computed from content with this hash, else undefined. */
export function shippedRow(rows: ShippedRows, itemId: string, hash: string): number | undefined {
  const row = rows.rowOf.get(itemId);
  return row !== undefined && rows.hashes[row] === hash ? row : undefined;
}

export async function loadShippedVectors(
  db: Database,
  url: string,
  progress: (event: ProgressEvent) => void,
): Promise<{ vectors: ShippedVectors; info: ModelInfo }> {
  const started = performance.now();
  try {
    const loaded = await loadModelFiles(db, url, 'item-vectors', (done, total) =>
      progress({ task: 'load-model', model: 'item-vectors', url, done, total, message: 'item vectors' }),
    );
    const config = parseItemVectorsConfig(loaded.manifest);
    const index = parseItemVectorsIndex(loaded.files.get(config.items)!, config.encoders);
    const rowOf = new Map(index.ids.map((id, i) => [id, i]));
    const byKey = new Map<string, ShippedRows>();
    for (const e of config.encoders) {
      const key = encoderKey(e.kind, e.name, e.version);
      const matrix = decodeRows(loaded.files.get(e.file)!, index.ids.length, e.dim, e.storage);
      byKey.set(key, { kind: e.kind, key, dim: e.dim, matrix, rowOf, hashes: index.hashes[e.kind]! });
    }
    await loaded.keep?.();
    const info: ModelInfo = {
      kind: 'item-vectors',
      name: loaded.manifest.name,
      version: loaded.manifest.version,
      status: 'ready',
      bytes: loaded.bytes,
      loadMs: Math.round(performance.now() - started),
    };
    if (loaded.warning) info.error = loaded.warning;
    if (loaded.warningCode) info.errorCode = loaded.warningCode;
    return { vectors: { byKey, keys: [...byKey.keys()] }, info };
  } catch (err) {
    throw toTastebudError(err, 'model-load');
  }
}
