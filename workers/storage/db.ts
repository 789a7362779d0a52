/**
 * The IndexedDB schema and connection. Only workers/storage/ touches the database.
 * Migrations are `if (oldVersion < N)` steps so every older database upgrades.
 *
 * Schema history:
 *  1 — items, events (by-user-time), profiles.
 *  2 — vectors (by-item), models, meta; events get the by-user-item index.
 *  3 — adaptations: a user's fine-tuned sequence-model weights (adapt()).
 *  4 — events get a unique, sparse by-id index: an event with an `id` is stored
 *      at most once, so retrying a timed-out track() is a no-op.
 *  5 — vector-snapshots: one record per content model holding every cached
 *      vector of that model as one matrix, so a start reads it in one piece.
 */
import { openDB, type DBSchema, type IDBPDatabase, type IDBPTransaction, type StoreNames } from 'idb';
import { TastebudError, isDomException, toTastebudError } from '../../common/errors';
import type { EventType, JsonValue, StorageMode } from '../../common/types';
import { useMemoryIndexedDb } from './memory';

export const DB_VERSION = 5;

const MEMORY_HINT = "To run without persistence (history lost when the page closes), pass storage: 'memory' to createRecommender().";

export interface ItemRecord {
  id: string;
  text?: string;
  image?: string | Blob;
  tags: string[];
  meta?: Record<string, JsonValue>;
  /** Hash of text + image reference: a changed item re-encodes, an unchanged one does not. */
  contentHash: string;
  updatedAt: number;
}

export interface EventRecord {
  seq?: number;
  /** The caller's idempotency key (TrackEvent.id); unique across the database. */
  id?: string;
  userId: string;
  itemId: string;
  type: EventType;
  value?: number;
  text?: string;
  at: number;
}

export interface ProfileRecord {
  userId: string;
  createdAt: number;
  updatedAt: number;
}

export interface VectorRecord {
  itemId: string;
  /** e.g. `text:sif-glove@1` */
  model: string;
  contentHash: string;
  vector: Float32Array;
}

/**
 * Every cached vector of one content model, columnar: row i of `matrix` is item `itemIds[i]`,
 * computed from content `contentHashes[i]`. Derived from the vectors store; any write to
 * that store for this model (or any item removal) deletes it, and the next read rebuilds it.
 */
export interface VectorSnapshotRecord {
  model: string;
  dim: number;
  itemIds: string[];
  contentHashes: string[];
  matrix: Float32Array;
}

export interface ModelRecord {
  /** The manifest URL it was loaded from. */
  url: string;
  version: string;
  manifest: unknown;
  files: Record<string, ArrayBuffer>;
  storedAt: number;
}

export interface AdaptationRecord {
  userId: string;
  /** Which model the weights belong to: manifest name@version + weights sha256. */
  model: string;
  weights: ArrayBuffer;
  steps: number;
  /** History length the weights were last fitted on. */
  events: number;
  updatedAt: number;
}

export interface TastebudSchema extends DBSchema {
  items: { key: string; value: ItemRecord };
  events: {
    key: number;
    value: EventRecord;
    indexes: { 'by-user-time': [string, number]; 'by-user-item': [string, string]; 'by-id': string };
  };
  profiles: { key: string; value: ProfileRecord };
  vectors: { key: [string, string, string]; value: VectorRecord; indexes: { 'by-item': string } };
  models: { key: string; value: ModelRecord };
  meta: { key: string; value: { key: string; value: JsonValue } };
  adaptations: { key: [string, string]; value: AdaptationRecord };
  'vector-snapshots': { key: string; value: VectorSnapshotRecord };
}

export type TastebudDb = IDBPDatabase<TastebudSchema>;

/** Stores and indexes this version reads and writes; a newer schema must keep them. */
const REQUIRED: ReadonlyArray<readonly [StoreNames<TastebudSchema>, string?]> = [
  ['items'],
  ['events', 'by-user-time'],
  ['events', 'by-user-item'],
  ['events', 'by-id'],
  ['profiles'],
  ['vectors', 'by-item'],
  ['models'],
  ['meta'],
  ['adaptations'],
  ['vector-snapshots'],
];

function upgrade(
  db: IDBPDatabase<TastebudSchema>,
  oldVersion: number,
  tx: IDBPTransaction<TastebudSchema, StoreNames<TastebudSchema>[], 'versionchange'>,
): void {
  if (oldVersion < 1) {
    db.createObjectStore('items', { keyPath: 'id' });
    const events = db.createObjectStore('events', { keyPath: 'seq', autoIncrement: true });
    events.createIndex('by-user-time', ['userId', 'at']);
    db.createObjectStore('profiles', { keyPath: 'userId' });
  }
  if (oldVersion < 2) {
    const vectors = db.createObjectStore('vectors', { keyPath: ['itemId', 'model', 'contentHash'] });
    vectors.createIndex('by-item', 'itemId');
    db.createObjectStore('models', { keyPath: 'url' });
    db.createObjectStore('meta', { keyPath: 'key' });
    tx.objectStore('events').createIndex('by-user-item', ['userId', 'itemId']);
  }
  if (oldVersion < 3) {
    db.createObjectStore('adaptations', { keyPath: ['userId', 'model'] });
  }
  if (oldVersion < 4) {
    // Records without an id (older ones, imports of old exports) are simply not in the index.
    tx.objectStore('events').createIndex('by-id', 'id', { unique: true });
  }
  if (oldVersion < 5) {
    db.createObjectStore('vector-snapshots', { keyPath: 'model' });
  }
}

/**
 * A connection that closes itself when another tab upgrades the schema
 * (`versionchange`) and reopens on the next use.
 */
export class Database {
  private connection: Promise<TastebudDb> | null = null;

  constructor(
    readonly name: string,
    readonly mode: StorageMode = 'indexeddb',
  ) {}

  get(): Promise<TastebudDb> {
    if (!this.connection) {
      const opening = this.open();
      this.connection = opening;
      // Cached load promises drop rejections, so the next call tries again.
      opening.catch(() => {
        if (this.connection === opening) this.connection = null;
      });
    }
    return this.connection;
  }

  /**
   * Runs `op` on the connection. A connection that died without a `close` event
   * (backing store error, database deleted from DevTools: every transaction()
   * throws InvalidStateError) is replaced once and `op` runs again; `op` only
   * retries on errors that mean its transaction never committed.
   */
  async run<T>(op: (db: TastebudDb) => Promise<T>): Promise<T> {
    const connection = await this.get();
    try {
      return await op(connection);
    } catch (err) {
      if (!isDeadConnection(err)) throw err;
      if (this.connection && (await this.connection.catch(() => null)) === connection) this.connection = null;
      connection.close();
      let fresh: TastebudDb;
      try {
        fresh = await this.get();
      } catch (reopenErr) {
        throw toTastebudError(reopenErr, 'storage-unavailable');
      }
      try {
        return await op(fresh);
      } catch (retryErr) {
        if (isDeadConnection(retryErr)) {
          throw new TastebudError(
            'storage-unavailable',
            `The IndexedDB connection to "${this.name}" failed again after reopening; reload the page.`,
            { cause: retryErr },
          );
        }
        throw retryErr;
      }
    }
  }

  async close(): Promise<void> {
    const connection = this.connection;
    this.connection = null;
    if (connection) (await connection.catch(() => null))?.close();
  }

  private async open(): Promise<TastebudDb> {
    if (this.mode === 'memory') await useMemoryIndexedDb();
    if (typeof indexedDB === 'undefined') {
      throw new TastebudError(
        'storage-unavailable',
        `IndexedDB is not available here (private mode or a blocked origin?); tastebud cannot keep history without it. ${MEMORY_HINT}`,
      );
    }
    const callbacks = {
      blocking: (): void => this.dropConnection(),
      terminated: (): void => {
        this.connection = null;
      },
    };
    try {
      return await openDB<TastebudSchema>(this.name, DB_VERSION, {
        upgrade: (database, oldVersion, _newVersion, tx) => upgrade(database, oldVersion, tx),
        ...callbacks,
      });
    } catch (err) {
      if (isDomException(err, 'VersionError')) return this.openNewer(err, callbacks);
      throw new TastebudError(
        'storage-unavailable',
        `Could not open IndexedDB database "${this.name}": ${err instanceof Error ? err.message : String(err)}. ${MEMORY_HINT}`,
        { cause: err },
      );
    }
  }

  /**
   * Another tab runs a newer tastebud whose schema is already in this database.
   * Newer schemas only add stores and indexes, so if everything this version
   * needs is there we keep working on it instead of failing the user.
   */
  private async openNewer(cause: unknown, callbacks: { blocking(): void; terminated(): void }): Promise<TastebudDb> {
    const db = await openDB<TastebudSchema>(this.name, undefined, callbacks);
    const missing = REQUIRED.filter(([store, index]) => {
      if (!db.objectStoreNames.contains(store)) return true;
      return index !== undefined && !(db.transaction(store).store.indexNames as DOMStringList).contains(index);
    });
    if (missing.length === 0) return db;
    db.close();
    throw new TastebudError(
      'storage-unavailable',
      `Database "${this.name}" was changed by a newer tastebud (schema ${db.version} > ${DB_VERSION}) in another tab and lacks ${missing.map((m) => m.join('.')).join(', ')}; reload this page to use the new version.`,
      { cause },
    );
  }

  private dropConnection(): void {
    const connection = this.connection;
    this.connection = null;
    void connection?.then(
      (db) => db.close(),
      () => undefined,
    );
  }
}

/** Errors after which the connection is unusable and nothing of the failed transaction was committed. */
export function isDeadConnection(err: unknown): boolean {
  const inner = (err as { cause?: unknown } | null)?.cause ?? err;
  return (
    isDomException(inner, 'InvalidStateError') ||
    isDomException(inner, 'UnknownError') ||
    isDomException(err, 'InvalidStateError') ||
    isDomException(err, 'UnknownError')
  );
}

/**
 * Options for transactions that write user data: 'strict' makes the browser
 * flush to disk before `complete`, so an acknowledged write survives a crash
 * (Chromium defaults to 'relaxed'; browsers without the option ignore it).
 */
export const DURABLE: IDBTransactionOptions = { durability: 'strict' };

/** Maps a failed write to a TastebudError; a transaction that failed wrote nothing. */
export function writeError(err: unknown, what: string): TastebudError {
  if (err instanceof TastebudError) return err;
  const e = err as { name?: string; message?: string; target?: { error?: unknown } } | null;
  const inner = e?.name === 'AbortError' && e.target?.error ? e.target.error : err;
  if (isDomException(inner, 'QuotaExceededError') || isDomException(err, 'QuotaExceededError')) {
    return new TastebudError(
      'quota',
      `Storage quota exceeded while ${what}; nothing from this call was written. Free space or call forget().`,
      { cause: err },
    );
  }
  return toTastebudError(err, 'storage-unavailable');
}

/** A request whose failure is reported through `tx.done` instead (so it is not an unhandled rejection). */
export function queued(request: Promise<unknown>): void {
  request.catch(() => undefined);
}

/**
 * Runs `body` in the transaction and waits for it to commit. Any failure aborts
 * the whole transaction (nothing half-written) and becomes a TastebudError.
 */
export async function commit<T>(tx: { abort(): void; done: Promise<void> }, what: string, body: () => Promise<T>): Promise<T> {
  try {
    const result = await body();
    await tx.done;
    return result;
  } catch (err) {
    try {
      tx.abort();
    } catch {
      /* already finished */
    }
    await tx.done.catch(() => undefined);
    throw writeError(err, what);
  }
}
