/**
 * `storage: 'memory'`: the same schema and the same storage code, on an
 * in-memory IndexedDB (fake-indexeddb, bundled into the worker and loaded only
 * in this mode). It replaces the IndexedDB globals of THIS worker only, which
 * belongs to one recommender; the page and other tabs never see this data.
 * Everything is gone when the worker ends (page closed, dispose(), crash).
 */
let installing: Promise<void> | null = null;

export function useMemoryIndexedDb(): Promise<void> {
  installing ??= import('fake-indexeddb').then((fake) => {
    const scope = globalThis as unknown as Record<string, unknown>;
    const globals: Record<string, unknown> = {
      indexedDB: fake.indexedDB,
      IDBCursor: fake.IDBCursor,
      IDBCursorWithValue: fake.IDBCursorWithValue,
      IDBDatabase: fake.IDBDatabase,
      IDBFactory: fake.IDBFactory,
      IDBIndex: fake.IDBIndex,
      IDBKeyRange: fake.IDBKeyRange,
      IDBObjectStore: fake.IDBObjectStore,
      IDBOpenDBRequest: fake.IDBOpenDBRequest,
      IDBRequest: fake.IDBRequest,
      IDBTransaction: fake.IDBTransaction,
      IDBVersionChangeEvent: fake.IDBVersionChangeEvent,
    };
    // idb checks `instanceof IDBRequest` etc. against the globals, so all of them move together.
    for (const [name, value] of Object.entries(globals)) {
      Object.defineProperty(scope, name, { value, writable: true, configurable: true, enumerable: false });
    }
  });
  return installing;
}
