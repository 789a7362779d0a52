/**
 * `tastebud embed` → `models.itemVectors`: vectors computed in Node are the
 * worker's own (same encoder, within the storage's rounding), and the worker
 * uses a row only while the item's content and the encoder version match,
 * encoding only what is new or changed, without loading a model it does not need.
 */
import 'fake-indexeddb/auto';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync, cpSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createHash } from 'node:crypto';
import jpeg from 'jpeg-js';
import { decodeRows, encodeRows, fromHalf, toHalf, parseItemVectorsConfig } from '../common/model-format/item-vectors';
import { parseManifest } from '../common/model-format/manifest';
import { Database } from '../workers/storage/db';
import { putItems } from '../workers/storage/items';
import { ModelRegistry } from '../workers/models/registry';
import { ContentIndex } from '../workers/content/index';
import { buildCatalog } from '../workers/ranking/catalog';
import type { Item } from '../common/types';

const cos = (a: Float32Array, b: Float32Array): number => {
  let ab = 0;
  let aa = 0;
  let bb = 0;
  for (let i = 0; i < a.length; i++) {
    ab += a[i]! * b[i]!;
    aa += a[i]! * a[i]!;
    bb += b[i]! * b[i]!;
  }
  return ab / Math.sqrt(aa * bb);
};

test('f16 and int8 rows round-trip within their precision', () => {
  for (const x of [0, 1, -1, 0.5, 65504, 1e-5, -3.14159, 2 ** -24]) {
    const back = fromHalf(toHalf(x));
    assert.ok(Math.abs(back - x) <= Math.abs(x) * 2 ** -11 + 2 ** -25, `${x} → ${back}`);
  }
  assert.equal(fromHalf(toHalf(1e6)), Infinity);
  const n = 5;
  const dim = 33;
  const m = Float32Array.from({ length: n * dim }, (_, i) => Math.sin(i * 1.7) * (i % dim === 0 ? 3 : 1));
  m.fill(0, dim, 2 * dim); // a zero row stays zero
  for (const storage of ['int8', 'f16'] as const) {
    const back = decodeRows(encodeRows(m, n, dim, storage).buffer as ArrayBuffer, n, dim, storage);
    for (let r = 0; r < n; r++) {
      const row = m.subarray(r * dim, (r + 1) * dim);
      const got = back.subarray(r * dim, (r + 1) * dim);
      if (r === 1) assert.ok(got.every((v) => v === 0));
      else assert.ok(cos(row, got) > (storage === 'int8' ? 0.9995 : 0.999999), `${storage} row ${r}: ${cos(row, got)}`);
    }
  }
  assert.throws(() => decodeRows(new ArrayBuffer(7), n, dim, 'int8'), /must be/);
});

/** Serves the repository's files (and a temp folder) at http://t/ to the worker code's fetch. */
function serveFiles(roots: Record<string, string>): () => void {
  const realFetch = globalThis.fetch;
  globalThis.fetch = (async (input: string | URL | Request): Promise<Response> => {
    const url = new URL(String(input instanceof Request ? input.url : input));
    for (const [prefix, dir] of Object.entries(roots)) {
      if (url.pathname.startsWith(prefix)) {
        try {
          return new Response(readFileSync(join(dir, url.pathname.slice(prefix.length))));
        } catch {
          return new Response('not found', { status: 404 });
        }
      }
    }
    return new Response('not found', { status: 404 });
  }) as typeof fetch;
  return () => {
    globalThis.fetch = realFetch;
  };
}

const ITEMS: Item[] = [
  { id: 'alien', text: 'Alien. A space crew is hunted by a deadly creature.', image: 'posters/a.jpg', meta: { title: 'Alien' } },
  { id: 'moon', text: 'Moon. A lonely astronaut nears the end of his mission in space.', image: 'posters/b.jpg' },
  { id: 'notebook', text: 'The Notebook. A summer romance in the 1940s.', image: 'posters/c.jpg' },
  { id: 'heat', text: 'Heat. A detective hunts a crew of bank robbers in Los Angeles.' },
];

function embed(dir: string, items: Item[], ...flags: string[]): { status: number | null; stderr: string } {
  mkdirSync(join(dir, 'posters'), { recursive: true });
  ['a', 'b', 'c'].forEach((name, k) => {
    const data = new Uint8Array(40 * 60 * 4).map((_, i) => (i % 4 === 3 ? 255 : (i * (k + 3)) % 251));
    writeFileSync(join(dir, 'posters', `${name}.jpg`), jpeg.encode({ data, width: 40, height: 60 }, 90).data);
  });
  const lines = items.map((item) => JSON.stringify({ id: item.id, text: item.text, ...(item.image ? { image: item.image } : {}) }));
  writeFileSync(join(dir, 'items.jsonl'), `${lines.join('\n')}\n`);
  const r = spawnSync(
    process.execPath,
    ['--import', 'tsx', 'cli/index.ts', 'embed', '--items', join(dir, 'items.jsonl'), '--out', join(dir, 'vectors'), ...flags],
    { encoding: 'utf8', timeout: 120_000 },
  );
  return { status: r.status, stderr: r.stderr };
}

let dbs = 0;
async function engineSide(dir: string, itemVectors: string, items: Item[]) {
  const db = new Database(`item-vectors-${process.pid}-${dbs++}`);
  const registry = new ModelRegistry(
    db,
    { text: 'http://t/models/text/manifest.json', image: 'http://t/models/image/manifest.json' },
    () => {},
  );
  const records = await putItems(db, items);
  const content = new ContentIndex(
    db,
    registry,
    () => {},
    'http://t/page/',
    itemVectors,
    async () => records,
  );
  return { db, registry, content, records, catalog: buildCatalog(records) };
}

test('tastebud embed writes vectors the worker uses while content and encoder match, and encodes only new or changed items', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'tastebud-embed-'));
  const run = embed(dir, ITEMS, '--storage', 'f16');
  assert.equal(run.status, 0, run.stderr);
  assert.match(run.stderr, /text:sif-glove@\S+: 4 of 4 items/);
  assert.match(run.stderr, /image:mobilenetv2@\S+: 3 of 4 items/);
  const manifest = parseManifest(JSON.parse(readFileSync(join(dir, 'vectors', 'manifest.json'), 'utf8')), 'item-vectors');
  for (const f of manifest.files)
    assert.equal(
      createHash('sha256')
        .update(readFileSync(join(dir, 'vectors', f.path)))
        .digest('hex'),
      f.sha256,
    );
  assert.deepEqual(
    parseItemVectorsConfig(manifest).encoders.map((e) => [e.kind, e.storage]),
    [
      ['text', 'f16'],
      ['image', 'f16'],
    ],
  );

  const stop = serveFiles({ '/models/': resolve('public/models'), '/v/': dir });
  try {
    // One item changed its text since the vectors were computed, one is new.
    const now: Item[] = [
      ...ITEMS.slice(0, 3),
      { id: 'heat', text: 'Heat. A thief plans one last job while a detective closes in.' },
      { id: 'solaris', text: 'Solaris. A psychologist on a space station meets his dead wife.' },
    ];
    const side = await engineSide(dir, 'http://t/v/vectors/manifest.json', now);
    const report = await side.content.encode(side.records);
    assert.equal(report.encoded, 2, 'only the changed and the new item are encoded');
    assert.equal(report.cached, 3);
    const text = await side.content.matrix('text', side.catalog);
    const image = await side.content.matrix('image', side.catalog);
    assert.ok(text && image);
    assert.equal(side.content.shippedVectorCount(), 3 + 3);
    // Shipped rows are the worker encoder's own vectors (f16 rounding only).
    const model = (await side.registry.text())!;
    const fresh = model.encode(now.map((i) => i.text!));
    for (const item of now) {
      const row = side.catalog.index.get(item.id)!;
      const k = now.indexOf(item);
      assert.ok(cos(text.matrix.subarray(row * 100, (row + 1) * 100), fresh.subarray(k * 100, (k + 1) * 100)) > 0.9999, item.id);
    }
    const alien = side.catalog.index.get('alien')!;
    assert.ok(
      image.matrix.subarray(alien * image.dim, (alien + 1) * image.dim).some((v) => v !== 0),
      'the shipped poster vector is used',
    );
    // Nothing needed encoding with the image model, so it was never loaded.
    assert.equal(side.registry.info().find((m) => m.kind === 'image')?.status, 'not-configured');
    assert.equal(side.content.info()[0]?.status, 'ready');
    await side.db.close();

    // Vectors of another encoder version are never used: everything is encoded here.
    const other = join(dir, 'other');
    cpSync(join(dir, 'vectors'), other, { recursive: true });
    const json = JSON.parse(readFileSync(join(other, 'manifest.json'), 'utf8')) as { config: { encoders: Array<{ version: string }> } };
    json.config.encoders[0]!.version = 'an-older-encoder';
    writeFileSync(join(other, 'manifest.json'), JSON.stringify(json));
    const stale = await engineSide(dir, 'http://t/v/other/manifest.json', ITEMS);
    assert.equal((await stale.content.encode(stale.records)).encoded, 4);
    await stale.content.matrix('text', stale.catalog);
    assert.equal(stale.content.shippedVectorCount(), 0);
    await stale.db.close();

    // A tampered file is refused (model-integrity) and reported; the page encodes everything itself.
    writeFileSync(join(other, 'text.bin'), Buffer.alloc(readFileSync(join(other, 'text.bin')).length));
    const tampered = await engineSide(dir, 'http://t/v/other/manifest.json', ITEMS);
    assert.equal((await tampered.content.encode(tampered.records)).encoded, 4);
    assert.equal(tampered.content.info()[0]?.errorCode, 'model-integrity');
    await tampered.db.close();
  } finally {
    stop();
  }
});

test('tastebud embed rejects a bad storage name and a missing items file with invalid-argument', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tastebud-embed-bad-'));
  const bad = embed(dir, ITEMS, '--storage', 'f32');
  assert.equal(bad.status, 1);
  assert.match(bad.stderr, /error \(invalid-argument\): --storage must be one of int8, f16/);
  const r = spawnSync(process.execPath, ['--import', 'tsx', 'cli/index.ts', 'embed', '--items', join(dir, 'nope.jsonl'), '--out', dir], {
    encoding: 'utf8',
  });
  assert.equal(r.status, 1);
  assert.match(r.stderr, /error \(invalid-argument\): Items file not found/);
});
