/**
 * Item 7: hostile input. Every rejection is a TastebudError naming the field,
 * nothing of a rejected call is written, no prototype is polluted (page or
 * worker), and the worker stays responsive.
 */
import { test, expect, uniqueDb, MOVIES } from '../fixtures';
import { recordFaults } from './fault-log';

test('hostile input: rejected with the field named, nothing written, no prototype pollution, worker alive', async ({
  harness,
  backends,
}, testInfo) => {
  test.setTimeout(180_000);
  const out = await harness.evaluate(
    async ({ backends, dbName, movies }) => {
      const { createRecommender, TastebudError } = window.tastebud;
      window.faultAgent = { startup: [] };
      const r = await createRecommender({ backends, dbName, timeoutMs: 60_000 });
      await r.upsertItems(movies);
      await r.track([{ itemId: 'alien', type: 'like', at: 1 }]);
      const tenMb = 'x'.repeat(10 * 1024 * 1024);
      const goodEvents = Array.from({ length: 999 }, (_, i) => ({ itemId: `ok-${i}`, type: 'view', at: 10 + i }));
      const exportOf = (events: unknown[]): never =>
        ({ format: 'tastebud-export', version: 1, userId: 'default', exportedAt: 0, events }) as never;
      // JSON.parse makes real own `__proto__` keys, as a file from an attacker would.
      const protoImport = JSON.parse(
        '{"format":"tastebud-export","version":1,"userId":"default","exportedAt":0,"__proto__":{"polluted":1},"events":[{"itemId":"p","type":"like","at":5,"__proto__":{"polluted":2},"constructor":{"prototype":{"polluted":3}}}]}',
      );
      // Built before the clock starts: only the rejection is timed.
      const millionAndOne = exportOf(Array.from({ length: 1_000_001 }, (_, i) => ({ itemId: `e${i}`, type: 'view', at: i })));
      const hundredKAndOne = Array.from({ length: 100_001 }, (_, i) => ({ itemId: `e${i}`, type: 'view' as const }));
      const attempts: Record<string, () => Promise<unknown>> = {
        'meta __proto__': () => r.upsertItems([{ id: 'evil', meta: JSON.parse('{"__proto__":{"polluted":4}}') }]),
        'meta constructor': () => r.upsertItems([{ id: 'evil', meta: JSON.parse('{"a":{"constructor":{"prototype":{"polluted":5}}}}') }]),
        'wrong type itemId': () => r.track({ itemId: 42 as unknown as string, type: 'like' }),
        'wrong type events': () => r.track('alien' as never),
        'NaN value': () => r.track({ itemId: 'alien', type: 'rate', value: Number.NaN }),
        'Infinity at': () => r.track({ itemId: 'alien', type: 'view', at: Number.POSITIVE_INFINITY }),
        'Infinity k': () => r.recommend({ k: Number.POSITIVE_INFINITY }),
        '10 MB text': () => r.upsertItems([{ id: 'big', text: tenMb }]),
        '10 MB id': () => r.track({ itemId: tenMb, type: 'view' }),
        '10 MB query': () => r.search(tenMb),
        '10 MB meta': () => r.upsertItems([{ id: 'big', meta: { blob: tenMb } }]),
        'control char id NUL': () => r.track({ itemId: 'a\u0000b', type: 'view' }),
        'control char id newline': () => r.upsertItems([{ id: 'line\nbreak' }]),
        'control char id U+2028': () => r.similar('x\u2028y'),
        '1M + 1 events import': () => r.importData(millionAndOne),
        '100k + 1 events track': () => r.track(hundredKAndOne),
        'import with one bad event last': () => r.importData(exportOf([...goodEvents, { itemId: 'bad', type: 'view', at: -5 }])),
        'import wrong event type': () => r.importData(exportOf([{ itemId: 'x', type: 'hack', at: 1 }])),
        'huge text (100,001 chars)': () => r.upsertItems([{ id: 'long', text: 'y'.repeat(100_001) }]),
      };
      const results: Record<string, { isClass: boolean; code: string; field?: string; ms: number } | 'resolved'> = {};
      for (const [name, attempt] of Object.entries(attempts)) {
        const started = performance.now();
        try {
          await attempt();
          results[name] = 'resolved';
        } catch (err) {
          const e = err as InstanceType<typeof TastebudError>;
          results[name] = {
            isClass: err instanceof TastebudError,
            code: e.code,
            ...(e.field ? { field: e.field } : {}),
            ms: Math.round(performance.now() - started),
          };
        }
      }
      // Accepted but harmless: unknown keys (including __proto__) in an import are dropped, not followed.
      const protoResult = await r.importData(protoImport);
      // Big but within limits: stored; broken images are reported per item, never fatal.
      const upsert = await r.upsertItems([
        { id: 'long-ok', text: 'z'.repeat(100_000) },
        { id: 'no-image', image: '/nope.png' },
        { id: 'js-image', image: 'javascript:alert(1)' },
        { id: 'garbage-blob', image: new Blob([new Uint8Array([1, 2, 3])], { type: 'image/png' }) },
      ]);
      const history = await r.history({ limit: 10_000 });
      const info = await r.info();
      const worker = await window.injectFault('probe');
      const recs = await r.recommend({ k: 3 });
      await r.dispose();
      const pagePolluted = Object.keys(Object.prototype).length > 0 || ({} as Record<string, unknown>).polluted !== undefined;
      return {
        results,
        protoResult,
        upsert,
        history: history.map((e) => e.itemId),
        info,
        workerPolluted: worker.polluted,
        pagePolluted,
        recs: recs.length,
      };
    },
    { backends, dbName: uniqueDb(testInfo.title), movies: MOVIES },
  );
  const field = (name: string) => (out.results[name] === 'resolved' ? 'resolved' : (out.results[name] as { field?: string }).field);
  for (const [name, result] of Object.entries(out.results)) {
    expect(result, name).not.toBe('resolved');
    expect(result, name).toMatchObject({ isClass: true, code: 'invalid-argument' });
    // Rejected on the page, before anything reaches the worker.
    expect((result as { ms: number }).ms, `${name} is rejected within 200 ms`).toBeLessThan(200);
  }
  expect(field('meta __proto__')).toBe('items[0].meta.__proto__');
  expect(field('meta constructor')).toBe('items[0].meta.a.constructor');
  expect(field('wrong type itemId')).toBe('event.itemId');
  expect(field('NaN value')).toBe('event.value');
  expect(field('Infinity at')).toBe('event.at');
  expect(field('Infinity k')).toBe('options.k');
  expect(field('10 MB text')).toBe('items[0].text');
  expect(field('10 MB id')).toBe('event.itemId');
  expect(field('10 MB query')).toBe('query');
  expect(field('10 MB meta')).toBe('items[0].meta');
  expect(field('control char id NUL')).toBe('event.itemId');
  expect(field('control char id newline')).toBe('items[0].id');
  expect(field('control char id U+2028')).toBe('itemId');
  expect(field('1M + 1 events import')).toBe('data.events');
  expect(field('100k + 1 events track')).toBe('events');
  expect(field('import with one bad event last')).toBe('data.events[999].at');
  expect(field('import wrong event type')).toBe('data.events[0].type');
  expect(field('huge text (100,001 chars)')).toBe('items[0].text');
  expect(out.protoResult).toEqual({ imported: 1, skippedDuplicates: 0 });
  expect(out.upsert.upserted).toBe(4);
  // Nothing from a rejected call was written: the one acknowledged like, and the clean imported event.
  expect(out.history.sort()).toEqual(['alien', 'p']);
  expect(out.info.counts.items).toBe(MOVIES.length + 4);
  expect(out.pagePolluted).toBe(false);
  expect(out.workerPolluted).toBe(false);
  expect(out.info.workerRestarts).toBe(0);
  expect(out.recs).toBe(3);
  recordFaults(testInfo, {
    targeted: Object.keys(out.results).length + 2,
    acknowledged: 1,
    found: out.history.filter((id) => id === 'alien').length,
  });
});

test('an image too large to decode is refused from its header, for that item only', async ({ harness, backends }, testInfo) => {
  test.setTimeout(180_000);
  const out = await harness.evaluate(
    async ({ backends, dbName }) => {
      const png = async (width: number, height: number): Promise<Blob> => {
        const canvas = new OffscreenCanvas(width, height);
        const g = canvas.getContext('2d')!;
        g.fillStyle = '#c33';
        g.fillRect(0, 0, width, height);
        return canvas.convertToBlob({ type: 'image/png' });
      };
      // A real, decodable PNG a browser would happily decode at full size.
      const wide = await png(9000, 64);
      const r = await window.tastebud.createRecommender({
        backends,
        dbName,
        models: { image: '/models/image/manifest.json' },
        timeoutMs: 150_000,
      });
      const result = await r.upsertItems([
        { id: 'poster', image: await png(300, 450), meta: { title: 'Poster' } },
        { id: 'too-wide', image: wide, meta: { title: 'Too wide' } },
      ]);
      const info = await r.info();
      await r.dispose();
      return { result, info, wideBytes: wide.size };
    },
    { backends, dbName: uniqueDb(testInfo.title) },
  );
  expect(out.wideBytes).toBeLessThan(16 * 1024 * 1024);
  expect(out.result.upserted).toBe(2);
  expect(out.result.encoded).toBe(1);
  expect(out.result.failed).toEqual([
    { itemId: 'too-wide', reason: expect.stringMatching(/9000×64 pixels; images are decoded only up to 8192 pixels a side/) },
  ]);
  expect(out.info.counts.items).toBe(2);
  expect(out.info.counts.failedContentItems).toBe(1);
  expect(out.info.workerRestarts).toBe(0);
  recordFaults(testInfo, { targeted: 1 });
});
