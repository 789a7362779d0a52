/** Turns a user's events into what ranking needs: item weights, tag affinity, what was seen. */
import type { EventType, StoredEvent } from '../../common/types';
import type { Catalog } from './catalog';
import { reviewStrength } from './sentiment';

/** Events this many positions back count half as much. */
export const RECENCY_HALF_LIFE = 20;

/** How many recent events shape the profile; older ones have decayed to ~nothing. */
export const PROFILE_WINDOW = 500;

/**
 * Signed strength of one event: positive pulls similar items up, negative pushes
 * them down. `rate` maps 1..5 stars to -2..+2; a review counts like a like
 * (praise) or a dislike (panned) scaled by its sentiment; for other types
 * `value` scales.
 */
export function eventWeight(type: EventType, value?: number, text?: string): number {
  const scale = value === undefined ? 1 : Math.max(0, value);
  switch (type) {
    case 'view':
      return 0.5 * scale;
    case 'click':
      return 1 * scale;
    case 'like':
      return 2 * scale;
    case 'purchase':
      return 3 * scale;
    case 'dislike':
      return -2 * scale;
    case 'skip':
      return -0.5 * scale;
    case 'rate':
      return (value ?? 3) - 3;
    case 'review':
      return 2 * scale * (text === undefined ? 0 : reviewStrength(text));
  }
}

export interface UserProfile {
  /** Catalog index → summed, recency-decayed weight. */
  itemWeights: Map<number, number>;
  /** Catalog index → the positive event that gave the item most weight (for reason verbs; never a dislike or a panning). */
  itemVerbs: Map<number, EventType>;
  /** Every item id in the history, known to the catalog or not. */
  seen: Set<string>;
  tagAffinity: Map<string, number>;
  /** History events whose item is not in the catalog. */
  unknownItems: number;
  /** Known history items, oldest first, for sequence models. */
  sequence: number[];
}

/** `history` is newest first, as storage returns it. */
export function buildProfile(history: readonly StoredEvent[], catalog: Catalog): UserProfile {
  const profile: UserProfile = {
    itemWeights: new Map(),
    itemVerbs: new Map(),
    seen: new Set(),
    tagAffinity: new Map(),
    unknownItems: 0,
    sequence: [],
  };
  const verbStrength = new Map<number, number>();
  history.forEach((event, position) => {
    profile.seen.add(event.itemId);
    const idx = catalog.index.get(event.itemId);
    if (idx === undefined) {
      profile.unknownItems += 1;
      return;
    }
    const w = eventWeight(event.type, event.value, event.text) * Math.pow(0.5, position / RECENCY_HALF_LIFE);
    profile.itemWeights.set(idx, (profile.itemWeights.get(idx) ?? 0) + w);
    if (w > (verbStrength.get(idx) ?? 0)) {
      verbStrength.set(idx, w);
      profile.itemVerbs.set(idx, event.type);
    }
    const tags = catalog.items[idx]!.tags;
    if (tags.length > 0) {
      const share = w / Math.sqrt(tags.length);
      for (const tag of tags) profile.tagAffinity.set(tag, (profile.tagAffinity.get(tag) ?? 0) + share);
    }
  });
  for (let i = history.length - 1; i >= 0; i--) {
    const event = history[i]!;
    const idx = catalog.index.get(event.itemId);
    if (idx !== undefined && eventWeight(event.type, event.value, event.text) > 0) profile.sequence.push(idx);
  }
  return profile;
}

export function verbFor(type: EventType | undefined): string {
  switch (type) {
    case 'like':
      return 'liked';
    case 'rate':
      return 'rated';
    case 'purchase':
      return 'bought';
    case 'review':
      return 'praised';
    case 'click':
    case 'view':
      return 'viewed';
    default:
      return 'liked';
  }
}
