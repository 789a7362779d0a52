// A minimal consumer app, as in the README: imports the installed tarball exactly as a user would.
// Bundlers without worker detection (esbuild, Rollup) copy the worker and name it in
// <meta name="tastebud-worker">, which becomes the `workerUrl` option.
import { createRecommender, TastebudError } from 'tastebud';

const params = new URLSearchParams(location.search);
const workerUrl = document.querySelector('meta[name="tastebud-worker"]')?.getAttribute('content');
const items = [
  { id: 'alien', text: 'Alien', tags: ['sci-fi', 'horror'], meta: { title: 'Alien' } },
  { id: 'aliens', text: 'Aliens', tags: ['sci-fi', 'action'], meta: { title: 'Aliens' } },
  { id: 'up', text: 'Up', tags: ['animation', 'family'], meta: { title: 'Up' } },
  { id: 'coco', text: 'Coco', tags: ['animation', 'family'], meta: { title: 'Coco' } },
];

async function main() {
  const rec = await createRecommender({
    dbName: 'packed-fixture',
    models: { popularity: { up: 10, coco: 5 } },
    ...(params.get('backends') ? { backends: params.get('backends').split(',') } : {}),
    ...(workerUrl ? { workerUrl: new URL(workerUrl, location.href) } : {}),
  });
  if (params.get('action') === 'track') {
    await rec.upsertItems(items);
    await rec.track([
      { itemId: 'alien', type: 'like', at: 1 },
      { itemId: 'up', type: 'view', at: 2 },
    ]);
  }
  const out = {
    isErrorClass: typeof TastebudError === 'function',
    info: await rec.info(),
    history: await rec.history(),
    recs: await rec.recommend({ k: 3 }),
  };
  document.getElementById('out').textContent = JSON.stringify(out);
  document.getElementById('status').textContent = 'done';
}

main().catch((err) => {
  document.getElementById('out').textContent = JSON.stringify({ error: String(err), code: err?.code });
  document.getElementById('status').textContent = 'failed';
});
