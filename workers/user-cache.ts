/**
 * The user's history as recommend() reads it, kept in memory: the newest
 * PROFILE_WINDOW events and every distinct item id ever seen. Loaded from
 * IndexedDB once, then updated in place by track() (an append), and dropped by
 * anything else that changes the history (import, forget, another tab), so a
 * heavy user costs recommend() no more than a light one.
 * Memory: at most PROFILE_WINDOW events, one string per distinct item seen and
 * one byte per catalog item (the seen mask).
 */
import type { StoredEvent } from '../common/types';
import type { Catalog } from './ranking/catalog';
import { PROFILE_WINDOW } from './ranking/profile';

export interface UserHistory {
  /** Newest first (by time, then by storage order), at most PROFILE_WINDOW. */
  recent: StoredEvent[];
  /** Every distinct item id in the stored history. */
  seen: Set<string>;
}

export class UserHistoryCache {
  private current: UserHistory | null = null;
  private loading: Promise<UserHistory> | null = null;
  /** Bumped by every change, so a load that raced one is not kept. */
  private generation = 0;
  private mask: { catalog: Catalog; seen: Uint8Array } | null = null;

  constructor(private readonly load: () => Promise<UserHistory>) {}

  async history(): Promise<UserHistory> {
    if (this.current) return this.current;
    if (!this.loading) {
      const generation = this.generation;
      const loading = this.load();
      this.loading = loading;
      loading.then(
        (loaded) => {
          if (this.generation === generation) this.current = loaded;
          if (this.loading === loading) this.loading = null;
        },
        () => {
          if (this.loading === loading) this.loading = null;
        },
      );
    }
    return this.loading;
  }

  /** Catalog-indexed, 1 for every item the user has seen; shared, do not modify. */
  async seenMask(catalog: Catalog): Promise<Uint8Array> {
    const { seen } = await this.history();
    if (this.mask?.catalog === catalog) return this.mask.seen;
    const mask = new Uint8Array(catalog.items.length);
    for (const id of seen) {
      const i = catalog.index.get(id);
      if (i !== undefined) mask[i] = 1;
    }
    if (this.current?.seen === seen) this.mask = { catalog, seen: mask };
    return mask;
  }

  /** Events just committed by this tab, in the order they were stored. */
  appended(events: readonly StoredEvent[]): void {
    this.generation += 1;
    this.loading = null;
    const view = this.current;
    if (!view) return;
    const newestFirst = [...events].reverse();
    // Stable sort: among equal times the later-stored event stays first, as the IndexedDB index returns them.
    view.recent = [...newestFirst, ...view.recent].sort((a, b) => b.at - a.at).slice(0, PROFILE_WINDOW);
    const mask = this.mask;
    for (const e of events) {
      view.seen.add(e.itemId);
      const i = mask?.catalog.index.get(e.itemId);
      if (mask && i !== undefined) mask.seen[i] = 1;
    }
  }

  /** The stored history changed some other way: the next call reads it again. */
  reset(): void {
    this.generation += 1;
    this.current = null;
    this.loading = null;
    this.mask = null;
  }
}
