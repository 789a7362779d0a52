import { test, expect, uniqueDb } from './fixtures';

const TEXT_MODEL = '/models/text/manifest.json';
const IMAGE_MODEL = '/models/image/manifest.json';
const PLOTS = [
  {
    id: 'alien',
    text: 'Alien. The crew of a space freighter is hunted by a deadly alien creature aboard their ship.',
    meta: { title: 'Alien' },
  },
  {
    id: 'solaris',
    text: 'Solaris. A psychologist travels to a space station orbiting a distant planet where astronauts see strange visions.',
    meta: { title: 'Solaris' },
  },
  {
    id: 'moon',
    text: 'Moon. An astronaut mining helium on the far side of the moon nears the end of his lonely mission in space.',
    meta: { title: 'Moon' },
  },
  {
    id: 'notebook',
    text: 'The Notebook. A poor young man and a rich young woman fall in love during a summer romance in the 1940s.',
    meta: { title: 'The Notebook' },
  },
  {
    id: 'pride',
    text: 'Pride and Prejudice. Elizabeth Bennet and the proud Mr Darcy slowly fall in love despite family and marriage pressures.',
    meta: { title: 'Pride and Prejudice' },
  },
  {
    id: 'wedding',
    text: 'Four Weddings and a Funeral. A charming bachelor keeps meeting the woman he loves at weddings of friends.',
    meta: { title: 'Four Weddings and a Funeral' },
  },
];

test('text: items are encoded in the worker, search works, and one like gives content recommendations', async ({
  harness,
  backends,
  expectedBackend,
}, testInfo) => {
  const out = await harness.evaluate(
    async ({ backends, dbName, plots, model }) => {
      const progress: Array<{ task: string; done: number; total: number }> = [];
      const r = await window.tastebud.createRecommender({ backends, dbName, models: { text: model }, onProgress: (e) => progress.push(e) });
      const first = await r.upsertItems(plots);
      const again = await r.upsertItems(plots.map((p) => (p.id === 'moon' ? { ...p, text: `${p.text} Sam Rockwell stars.` } : p)));
      const search = await r.search('astronauts on a space station', { k: 3 });
      await r.track({ itemId: 'alien', type: 'like' });
      const recs = await r.recommend({ k: 2 });
      // A brand-new item nobody has touched is recommendable through its text alone.
      await r.upsertItems([
        {
          id: 'interstellar',
          text: 'Interstellar. Astronauts travel through a wormhole in space to find a new planet for humanity.',
          meta: { title: 'Interstellar' },
        },
      ]);
      const cold = await r.recommend({ k: 1 });
      const similar = await r.similar('notebook', { k: 2 });
      const info = await r.info();
      await r.dispose();
      return { first, again, search, recs, cold, similar, info, progress };
    },
    { backends, dbName: uniqueDb(testInfo.title), plots: PLOTS, model: TEXT_MODEL },
  );
  expect(out.info.backend).toBe(expectedBackend);
  expect(out.info.models.find((m) => m.kind === 'text')).toMatchObject({ status: 'ready' });
  expect(out.first).toEqual({ upserted: 6, encoded: 6, failed: [] });
  expect(out.again).toEqual({ upserted: 6, encoded: 1, failed: [] });
  expect(out.progress.some((p) => p.task === 'encode-text' && p.total > 0 && p.done === p.total)).toBe(true);
  expect(out.search[0]!.itemId).toBe('solaris');
  expect(out.search.map((r) => r.itemId)).toContain('moon');
  expect(out.recs.map((r) => r.itemId).sort()).toEqual(['moon', 'solaris']);
  expect(out.recs[0]!.reasons[0]).toMatchObject({ source: 'content-text', itemIds: ['alien'] });
  expect(out.recs[0]!.reasons[0]!.text).toBe('Similar story to Alien, which you liked');
  expect(out.cold[0]!.itemId).toBe('interstellar');
  expect(['pride', 'wedding']).toContain(out.similar[0]!.itemId);
  expect(out.info.counts.vectors).toBe(7);
});

test('image: blobs and URLs are encoded, a broken image is reported per item, similar looks match', async ({
  harness,
  backends,
}, testInfo) => {
  test.setTimeout(180_000);
  const out = await harness.evaluate(
    async ({ backends, dbName, model }) => {
      const poster = async (hue: number, stripes: boolean): Promise<Blob> => {
        const canvas = new OffscreenCanvas(128, 192);
        const g = canvas.getContext('2d')!;
        g.fillStyle = `hsl(${hue}, 80%, 50%)`;
        g.fillRect(0, 0, 128, 192);
        g.fillStyle = stripes ? '#fff' : '#000';
        for (let y = 0; y < 192; y += 24) g.fillRect(0, y, 128, stripes ? 8 : 2);
        return canvas.convertToBlob({ type: 'image/png' });
      };
      // Emulated WebGPU compiles MobileNetV2's shaders slowly on first use: allow it time.
      const r = await window.tastebud.createRecommender({ backends, dbName, models: { image: model }, timeoutMs: 150_000 });
      const result = await r.upsertItems([
        { id: 'red-1', image: await poster(0, true), meta: { title: 'Red one' } },
        { id: 'red-2', image: await poster(5, true), meta: { title: 'Red two' } },
        { id: 'blue-1', image: await poster(220, false), meta: { title: 'Blue one' } },
        { id: 'broken', image: '/does-not-exist.jpg', meta: { title: 'Broken' } },
        { id: 'unreachable', image: 'http://127.0.0.1:9/poster.jpg', meta: { title: 'Unreachable' } },
      ]);
      const similar = await r.similar('red-1', { k: 2 });
      const info = await r.info();
      await r.dispose();
      return { result, similar, info };
    },
    { backends, dbName: uniqueDb(testInfo.title), model: IMAGE_MODEL },
  );
  expect(out.info.models.find((m) => m.kind === 'image')).toMatchObject({ status: 'ready' });
  expect(out.result.upserted).toBe(5);
  expect(out.result.encoded).toBe(3);
  const failed = Object.fromEntries(out.result.failed.map((f) => [f.itemId, f.reason]));
  expect(Object.keys(failed).sort()).toEqual(['broken', 'unreachable']);
  expect(failed.broken).toMatch(/could not be decoded/);
  expect(failed.unreachable).toMatch(/could not fetch http:\/\/127\.0\.0\.1:9\/poster\.jpg/);
  expect(out.info.counts.failedContentItems).toBe(2);
  expect(out.similar[0]).toMatchObject({ itemId: 'red-2', reasons: [{ source: 'content-image', text: 'Similar look to Red one' }] });
});

test('encoding can be cancelled and resumes after a reload', async ({ harness, backends }, testInfo) => {
  test.setTimeout(180_000);
  const dbName = uniqueDb(testInfo.title);
  const items = Array.from({ length: 20_000 }, (_, i) => ({
    id: `item-${i}`,
    text: `Item ${i}: a story about ${['space', 'love', 'crime', 'family', 'war'][i % 5]} number ${i}`,
  }));
  const cancelled = await harness.evaluate(
    async ({ backends, dbName, items, model }) => {
      const controller = new AbortController();
      // Abort as soon as the first batch of vectors is done.
      const onProgress = (e: { message?: string; done: number }): void => {
        if (e.message === 'encoding text' && e.done > 0) controller.abort();
      };
      const r = await window.tastebud.createRecommender({ backends, dbName, models: { text: model }, onProgress });
      const pending = r.upsertItems(items, { signal: controller.signal }).then(
        () => 'finished',
        (err: { code: string }) => err.code,
      );
      const outcome = await pending;
      const info = await r.info();
      await r.dispose();
      return { outcome, items: info.counts.items, vectors: info.counts.vectors };
    },
    { backends, dbName, items, model: TEXT_MODEL },
  );
  expect(cancelled.outcome).toBe('aborted');
  expect(cancelled.items).toBe(20_000);
  expect(cancelled.vectors).toBeGreaterThan(0);
  expect(cancelled.vectors).toBeLessThan(20_000);
  await harness.reload();
  const resumed = await harness.evaluate(
    async ({ backends, dbName, model }) => {
      const r = await window.tastebud.createRecommender({ backends, dbName, models: { text: model } });
      let vectors = 0;
      for (let i = 0; i < 1200 && vectors < 20_000; i++) {
        vectors = (await r.info()).counts.vectors;
        if (vectors < 20_000) await new Promise((resolve) => setTimeout(resolve, 100));
      }
      const hits = await r.search('space', { k: 3 });
      await r.dispose();
      return { vectors, hits };
    },
    { backends, dbName, model: TEXT_MODEL },
  );
  expect(resumed.vectors).toBe(20_000);
  expect(resumed.hits).toHaveLength(3);
});
