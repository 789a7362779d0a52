/**
 * The per-user signals `tastebud blend` fits on, computed with the worker's
 * own ranking code (`profileSignals`, `sequenceSignal`, `modelItemsOf`) over a
 * catalog of the model's items, so a fitted weight means the same in the
 * browser. Each interaction becomes a `view` event, the newest
 * PROFILE_WINDOW of them shape the profile, as in the engine.
 */
import type { StoredEvent } from '../common/types';
import type { ContentMatrix } from '../workers/content/index';
import { buildCatalog, type Catalog } from '../workers/ranking/catalog';
import { buildProfile, PROFILE_WINDOW } from '../workers/ranking/profile';
import type { SignalName } from '../workers/ranking/weights';
import { sequenceSignal } from '../workers/ranking/sequence';
import { indexCooccurrence, type SignalScores } from '../workers/ranking/signals';
import { modelItemsOf, profileSignals, type SignalContext } from '../workers/recommend';
import { buildTables } from './tables';
import type { BlendCase } from './blend-fit';
import type { ItemMeta } from './items';

export interface BlendWorld {
  ctx: SignalContext;
  /** Model vocabulary: itemIds[m − 1] is model item m. */
  itemIds: readonly string[];
  vocabulary: Map<string, number>;
  /** Model item index → catalog index. */
  catalogOf: Int32Array;
}

/** The model's items as a catalog (tags from the items file, when given). */
export function blendCatalog(itemIds: readonly string[], items?: ReadonlyMap<string, ItemMeta>): Catalog {
  return buildCatalog(
    itemIds.map((id) => {
      const meta = items?.get(id);
      return { id, tags: meta?.tags ?? [], ...(meta?.title ? { meta: { title: meta.title } } : {}) };
    }),
  );
}

/**
 * Popularity and co-occurrence tables from the training parts (the same
 * builder as the demo's catalog), and the text / image vectors (catalog order) if any.
 */
export function buildWorld(
  catalog: Catalog,
  itemIds: readonly string[],
  train: readonly Int32Array[],
  text?: ContentMatrix,
  image?: ContentMatrix,
): BlendWorld {
  const tables = buildTables(train.map((s) => Array.from(s, (m) => itemIds[m - 1]!)));
  const vocabulary = new Map<string, number>();
  itemIds.forEach((id, i) => vocabulary.set(id, i + 1));
  const catalogOf = new Int32Array(itemIds.length + 1).fill(-1);
  itemIds.forEach((id, i) => {
    catalogOf[i + 1] = catalog.index.get(id) ?? -1;
  });
  const ctx: SignalContext = {
    catalog,
    neighbors: indexCooccurrence(tables.cooccurrence, catalog),
    popularity: new Map(Object.entries(tables.popularity.counts)),
    ...(text ? { text } : {}),
    ...(image ? { image } : {}),
  };
  return { ctx, itemIds, vocabulary, catalogOf };
}

/** A history of model items (oldest first) as the engine reads it: stored events, newest first, the last PROFILE_WINDOW. */
export function historyEvents(history: Int32Array, itemIds: readonly string[]): StoredEvent[] {
  const out: StoredEvent[] = [];
  for (let i = history.length - 1; i >= 0 && out.length < PROFILE_WINDOW; i--)
    out.push({ itemId: itemIds[history[i]! - 1]!, type: 'view', at: i });
  return out;
}

/** B histories of model items → B × (numItems + 1) scores, as `scoreHistories` returns them. */
export type SequenceScorer = (histories: readonly Int32Array[]) => Float32Array;

export interface CaseOptions {
  /** 2: validation (target = second-to-last item), 1: test (target = last). */
  cut: 1 | 2;
  batchSize?: number;
  onBatch?: (done: number, total: number) => void;
}

/** Signals of the named kinds only, without contributor arrays (memory). */
function keep(signals: Partial<Record<SignalName, SignalScores>>, names: readonly SignalName[]): Partial<Record<SignalName, SignalScores>> {
  const out: Partial<Record<SignalName, SignalScores>> = {};
  for (const name of names) {
    const s = signals[name];
    if (s) out[name] = { scores: s.scores };
  }
  return out;
}

/** Calls `consume` with one case per user (each user has >= 3 items). */
export function forEachCase(
  world: BlendWorld,
  score: SequenceScorer,
  seqs: readonly Int32Array[],
  users: readonly number[],
  names: readonly SignalName[],
  options: CaseOptions,
  consume: (c: BlendCase) => void,
): void {
  const batchSize = options.batchSize ?? 128;
  const { catalog } = world.ctx;
  const width = world.itemIds.length + 1;
  for (let start = 0; start < users.length; start += batchSize) {
    const batch = users.slice(start, start + batchSize).map((u) => {
      const s = seqs[u]!;
      const history = s.subarray(0, s.length - options.cut);
      const events = historyEvents(history, world.itemIds);
      return { history, events, target: s[s.length - options.cut]!, modelInput: modelItemsOf(events, world.vocabulary) };
    });
    const scores = score(batch.map((b) => b.modelInput));
    batch.forEach((b, i) => {
      const signals = profileSignals(world.ctx, buildProfile(b.events, catalog), false);
      if (b.modelInput.length > 0)
        signals.sequence = sequenceSignal(scores.subarray(i * width, (i + 1) * width), world.vocabulary, catalog);
      consume({
        signals: keep(signals, names),
        target: world.catalogOf[b.target]!,
        seen: Int32Array.from(b.history, (m) => world.catalogOf[m]!),
      });
    });
    options.onBatch?.(Math.min(users.length, start + batchSize), users.length);
  }
}
