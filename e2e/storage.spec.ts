import { test, expect, uniqueDb } from './fixtures';

test('a batch that exceeds the storage quota rejects with code quota and stores none of its events', async ({
  harness,
  backends,
}, testInfo) => {
  const cdp = await harness.context().newCDPSession(harness);
  const origin = new URL(harness.url()).origin;
  await cdp.send('Storage.overrideQuotaForOrigin', { origin, quotaSize: 4 * 1024 * 1024 });
  try {
    const out = await harness.evaluate(
      async ({ backends, dbName }) => {
        const r = await window.tastebud.createRecommender({ backends, dbName });
        await r.track([
          { itemId: 'kept-1', type: 'like' },
          { itemId: 'kept-2', type: 'view' },
        ]);
        const long = 'x'.repeat(500);
        const huge = Array.from({ length: 40_000 }, (_, i) => ({ itemId: `${long}-${i}`, type: 'view' as const }));
        const result = await r.track(huge).then(
          () => 'stored',
          (err: { code: string; message: string }) => `${err.code}: ${err.message}`,
        );
        const info = await r.info();
        const history = await r.history({ limit: 100_000 });
        await r.dispose();
        return { result, history: history.map((e) => e.itemId), storage: info.storage };
      },
      { backends, dbName: uniqueDb(testInfo.title) },
    );
    expect(out.result).toMatch(/^quota: /);
    expect(out.history.sort()).toEqual(['kept-1', 'kept-2']);
    expect(out.storage.usage).toBeGreaterThan(0);
  } finally {
    await cdp.send('Storage.overrideQuotaForOrigin', { origin });
  }
});

test('a newer schema opened by another tab does not block, and this tab keeps working', async ({ harness, backends }, testInfo) => {
  const dbName = uniqueDb(testInfo.title);
  const out = await harness.evaluate(
    async ({ backends, dbName }) => {
      const r = await window.tastebud.createRecommender({ backends, dbName });
      await r.track({ itemId: 'before', type: 'like', at: 1 });
      // What a newer tastebud in another tab does: open with a higher version and add a store.
      const upgraded = await new Promise<number>((resolve, reject) => {
        const req = indexedDB.open(dbName, 1000);
        req.onupgradeneeded = () => req.result.createObjectStore('from-the-future');
        req.onsuccess = () => {
          const v = req.result.version;
          req.result.close();
          resolve(v);
        };
        req.onerror = () => reject(req.error);
        req.onblocked = () => reject(new Error('blocked by the first tab'));
      });
      await r.track({ itemId: 'after', type: 'like', at: 2 });
      const history = await r.history();
      await r.dispose();
      return { upgraded, history: history.map((e) => e.itemId) };
    },
    { backends, dbName },
  );
  expect(out.upgraded).toBe(1000);
  expect(out.history).toEqual(['after', 'before']);
});

test('persist: true asks for persistent storage and info() reports the answer', async ({ harness, backends }, testInfo) => {
  const out = await harness.evaluate(
    async ({ backends, dbName }) => {
      const r = await window.tastebud.createRecommender({ backends, dbName, persist: true });
      const info = await r.info();
      const direct = await navigator.storage.persisted();
      await r.dispose();
      return { reported: info.storage.persisted, direct };
    },
    { backends, dbName: uniqueDb(testInfo.title) },
  );
  expect(typeof out.reported).toBe('boolean');
  expect(out.reported).toBe(out.direct);
});
