/**
 * The three ranking calls, each from the catalog, the signals and the content
 * vectors to plain results: recommend() (the user's recent history through
 * every available signal), similar() (one item's neighbours) and search()
 * (free text through the text model). Storage and models come in; plain
 * results go out.
 */
import { DEFAULTS } from '../common/defaults';
import { TastebudError } from '../common/errors';
import type { Recommendation, RecommendOptions, SearchOptions, SimilarOptions, StoredEvent } from '../common/types';
import type { SequenceHandle } from './models/registry';
import type { Catalog } from './ranking/catalog';
import { buildProfile, eventWeight, type UserProfile } from './ranking/profile';
import { rank } from './ranking/rank';
import { searchReason } from './ranking/reasons';
import { DEFAULT_WEIGHTS, SEQUENCE_DEFAULT_WEIGHTS, type BlendWeights, type SignalName } from './ranking/weights';
import { attentionAttribution, sequenceSignal, topContributors } from './ranking/sequence';
import { cooccurrenceSignal, popularitySignal, tagSignal, type NeighborIndex, type SignalScores } from './ranking/signals';
import { tagSimilarity } from './ranking/columns';
import { buildContentProfile, contentSignal, rowCosine, type ContentSignalOptions } from './ranking/content';
import type { ContentIndex, ContentMatrix } from './content/index';
import { searchScores } from './ranking/content';
import { similarItems } from './ranking/similar';
import { searchTopK } from './ranking/search';

export interface RecommendContext {
  catalog: Catalog;
  neighbors: NeighborIndex;
  popularity: Map<string, number>;
  sequence?: SequenceHandle;
  /** Newest first. */
  history: StoredEvent[];
  seen: Set<string>;
  /** `seen` as a catalog-indexed mask (1 = seen), when the caller keeps one. */
  seenMask?: Uint8Array;
  weights?: BlendWeights;
  text?: ContentMatrix;
  image?: ContentMatrix;
}

export interface RecommendOutcome {
  results: Recommendation[];
  profile: UserProfile;
  /** History events the sequence model could not use (item not in its vocabulary). */
  unknownToModel: number;
}

/** Events that say "more like this"; dislikes, skips and panning reviews are not fed to the sequence model. */
function feedsSequence(event: StoredEvent): boolean {
  if (event.type === 'review') return eventWeight(event.type, event.value, event.text) > 0;
  return event.type !== 'dislike' && event.type !== 'skip' && !(event.type === 'rate' && (event.value ?? 3) < 3);
}

/** The model item indices of a history (newest first in, oldest first out) that the sequence model reads. */
export function modelItemsOf(history: readonly StoredEvent[], vocabulary: Map<string, number>): Int32Array {
  const out: number[] = [];
  for (let i = history.length - 1; i >= 0; i--) {
    const event = history[i]!;
    const m = feedsSequence(event) ? vocabulary.get(event.itemId) : undefined;
    if (m !== undefined) out.push(m);
  }
  return Int32Array.from(out);
}

function sequenceInput(ctx: RecommendContext, handle: SequenceHandle): { modelIdx: Int32Array; catalogIdx: number[]; unknown: number } {
  const modelIdx: number[] = [];
  const catalogIdx: number[] = [];
  let unknown = 0;
  for (let i = ctx.history.length - 1; i >= 0; i--) {
    const event = ctx.history[i]!;
    if (!feedsSequence(event)) continue;
    const m = handle.vocabulary.get(event.itemId);
    if (m === undefined) {
      unknown += 1;
      continue;
    }
    modelIdx.push(m);
    catalogIdx.push(ctx.catalog.index.get(event.itemId) ?? -1);
  }
  const keep = Math.min(modelIdx.length, handle.model.maxLen);
  return {
    modelIdx: Int32Array.from(modelIdx.slice(modelIdx.length - keep)),
    catalogIdx: catalogIdx.slice(catalogIdx.length - keep),
    unknown,
  };
}

/**
 * The blend for one recommendation. Scored by the sequence model: the weights
 * its manifest ships (fitted by `tastebud blend`) over SEQUENCE_DEFAULT_WEIGHTS.
 * Not scored by it (`sequenceScored` false): DEFAULT_WEIGHTS, whatever the
 * manifest says, since weights fitted beside a sequence signal would leave
 * such a user with little more than popularity.
 */
export function blendWeights(fitted: Partial<Record<string, number>> | undefined, sequenceScored = true): BlendWeights {
  if (!sequenceScored) return { ...DEFAULT_WEIGHTS };
  const out = { ...SEQUENCE_DEFAULT_WEIGHTS };
  if (fitted) for (const key of Object.keys(out) as Array<keyof BlendWeights>) if (fitted[key] !== undefined) out[key] = fitted[key]!;
  return out;
}

/** Novelty 0..1 moves the popularity weight from its fitted value to an equal-sized penalty. */
export function withNovelty(weights: BlendWeights, novelty: number): BlendWeights {
  if (novelty <= 0) return weights;
  const base = Math.max(weights.popularity, 0.15);
  return { ...weights, popularity: weights.popularity * (1 - novelty) - novelty * base };
}

export type SignalContext = Pick<RecommendContext, 'catalog' | 'neighbors' | 'popularity' | 'text' | 'image'>;

/**
 * Every signal but the sequence model's, for one profile. Shared with the
 * CLI's `blend` command so fitted weights mean the same as here.
 * `contributors: false` skips the "because you liked" search (same scores, less work).
 */
export function profileSignals(ctx: SignalContext, profile: UserProfile, contributors = true): Partial<Record<SignalName, SignalScores>> {
  const content: ContentSignalOptions = { contributors };
  const { catalog } = ctx;
  const n = catalog.items.length;
  const ownCounts = new Map<number, number>();
  for (const [idx, w] of profile.itemWeights) if (w > 0) ownCounts.set(idx, 1);
  const signals: Partial<Record<SignalName, SignalScores>> = {
    popularity: popularitySignal(ctx.popularity, ownCounts, catalog),
    cooccurrence: cooccurrenceSignal(ctx.neighbors, profile, n),
    tags: tagSignal(profile, catalog),
  };
  if (ctx.text)
    signals.contentText = contentSignal(
      buildContentProfile(ctx.text.matrix, ctx.text.dim, profile.itemWeights),
      ctx.text.matrix,
      ctx.text.dim,
      n,
      content,
    );
  if (ctx.image)
    signals.contentImage = contentSignal(
      buildContentProfile(ctx.image.matrix, ctx.image.dim, profile.itemWeights),
      ctx.image.matrix,
      ctx.image.dim,
      n,
      content,
    );
  return signals;
}

export async function recommendFor(ctx: RecommendContext, options: RecommendOptions): Promise<RecommendOutcome> {
  const { catalog } = ctx;
  const profile = buildProfile(ctx.history, catalog);
  // Content signals go after the sequence signal: key order breaks ties between equally strong reasons.
  const { contentText, contentImage, ...others } = profileSignals(ctx, profile);
  const signals: Partial<Record<SignalName, SignalScores>> = others;
  let sequenceContributors: number[] | undefined;
  let unknownToModel = 0;
  if (ctx.sequence) {
    const input = sequenceInput(ctx, ctx.sequence);
    unknownToModel = input.unknown;
    if (input.modelIdx.length > 0) {
      const { scores, contributions } = await ctx.sequence.model.score(input.modelIdx);
      signals.sequence = attentionAttribution(sequenceSignal(scores, ctx.sequence.vocabulary, catalog), input.catalogIdx, contributions);
      sequenceContributors = topContributors(input.catalogIdx, contributions, 3).filter((i) => i >= 0);
    }
  }
  if (contentText) signals.contentText = contentText;
  if (contentImage) signals.contentImage = contentImage;
  const text = ctx.text;
  const similarity = text ? (a: number, b: number): number => rowCosine(text.matrix, text.dim, a, b) : tagSimilarity(catalog);
  const exclude = new Set(options.exclude ?? []);
  const excludeSeen = options.excludeSeen ?? DEFAULTS.excludeSeen;
  if (excludeSeen && !ctx.seenMask) for (const id of ctx.seen) exclude.add(id);
  const results = rank({
    catalog,
    signals,
    weights: withNovelty(
      ctx.weights ?? blendWeights(ctx.sequence?.blend, signals.sequence !== undefined),
      options.novelty ?? DEFAULTS.novelty,
    ),
    k: options.k ?? DEFAULTS.k,
    exclude,
    ...(excludeSeen && ctx.seenMask ? { excludeIndex: ctx.seenMask } : {}),
    ...(options.tags ? { includeTags: options.tags } : {}),
    ...(options.excludeTags ? { excludeTags: options.excludeTags } : {}),
    diversity: options.diversity ?? DEFAULTS.diversity,
    similarity,
    explain: {
      catalog,
      itemVerbs: profile.itemVerbs,
      tagAffinity: profile.tagAffinity,
      ...(sequenceContributors ? { sequenceContributors } : {}),
    },
  });
  return { results, profile, unknownToModel };
}

/** similar(): items close to one item by co-occurrence, shared tags and every content model's cosine. */
export async function similarFor(
  ctx: { catalog: Catalog; neighbors: NeighborIndex; content: ContentIndex },
  itemId: string,
  options: SimilarOptions,
): Promise<Recommendation[]> {
  const { catalog, neighbors } = ctx;
  const itemIndex = catalog.index.get(itemId);
  if (itemIndex === undefined)
    throw new TastebudError('not-found', `itemId: no item ${JSON.stringify(itemId)} in the catalog; add it with upsertItems() first.`, {
      field: 'itemId',
    });
  const content = [];
  for (const kind of ['text', 'image'] as const) {
    const m = await ctx.content.matrix(kind, catalog);
    if (!m) continue;
    const row = m.matrix.subarray(itemIndex * m.dim, (itemIndex + 1) * m.dim);
    content.push({
      source: kind === 'text' ? ('content-text' as const) : ('content-image' as const),
      scores: searchScores(row, m.matrix, m.dim, catalog.items.length),
      weight: kind === 'text' ? DEFAULT_WEIGHTS.contentText : DEFAULT_WEIGHTS.contentImage,
    });
  }
  return similarItems({
    catalog,
    neighbors,
    itemIndex,
    k: options.k ?? DEFAULTS.k,
    exclude: new Set(options.exclude ?? []),
    weights: { cooccurrence: DEFAULT_WEIGHTS.cooccurrence, tags: DEFAULT_WEIGHTS.tags },
    content,
  });
}

/** search(): the items whose text vectors are closest to the query's. */
export async function searchFor(
  ctx: { catalog: Catalog; content: ContentIndex },
  query: string,
  options: SearchOptions,
): Promise<Recommendation[]> {
  const { catalog } = ctx;
  const [vector, text] = await Promise.all([ctx.content.queryVector(query), ctx.content.matrix('text', catalog)]);
  if (!vector || !text) {
    throw new TastebudError(
      'unsupported',
      'search() needs a text model: pass options.models.text (e.g. the bundled public/models/text/manifest.json).',
    );
  }
  const exclude = new Set(options.exclude ?? []);
  const hits = searchTopK(vector, text.matrix, text.dim, catalog.items.length, options.k ?? DEFAULTS.k, (i) =>
    exclude.has(catalog.items[i]!.id),
  );
  return hits.map(({ index, score }) => ({
    itemId: catalog.items[index]!.id,
    score,
    reasons: [searchReason(query, catalog.items[index]!, 1)],
  }));
}
