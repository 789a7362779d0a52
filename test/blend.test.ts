import 'fake-indexeddb/auto';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import jpeg from 'jpeg-js';
import { evaluateBlend, fitBlend, weightsOf, type BlendCase } from '../training/blend-fit';
import { readItems } from '../training/items';
import { loadModelFiles } from '../workers/models/loader';
import { parseManifest } from '../common/model-format/manifest';
import { Database } from '../workers/storage/db';
import { parseBlend } from '../workers/models/registry';
import { blendWeights } from '../workers/recommend';
import { mulberry32 } from '../common/random';

const dir = mkdtempSync(join(tmpdir(), 'tastebud-blend-'));

function cli(...args: string[]): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, ['--import', 'tsx', 'cli/index.ts', ...args], { encoding: 'utf8', timeout: 180_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

const noStack = (s: string): void => assert.doesNotMatch(s, /\n\s+at .+:\d+:\d+/);

const random = mulberry32;

test('fitBlend: an informative signal gets a positive weight and never lowers validation NDCG@10', () => {
  const rand = random(3);
  const n = 200;
  const cases: BlendCase[] = [];
  for (let u = 0; u < 60; u++) {
    const target = Math.floor(rand() * n);
    const sequence = Float32Array.from({ length: n }, () => rand());
    // Tags point at the target (plus noise); popularity is pure noise.
    const tags = Float32Array.from({ length: n }, (_, i) => (i === target ? 0.9 : 0) + 0.3 * rand());
    const popularity = Float32Array.from({ length: n }, () => rand());
    cases.push({
      signals: { sequence: { scores: sequence }, tags: { scores: tags }, popularity: { scores: popularity } },
      target,
      seen: Int32Array.of((target + 1) % n),
    });
  }
  const fit = fitBlend(cases, ['sequence', 'tags', 'popularity']);
  assert.ok(fit.fitted.tags! > 0, `tags weight ${fit.fitted.tags}`);
  assert.equal(fit.fitted.sequence, 1);
  assert.ok(fit.blended.ndcg10 >= fit.sequenceOnly.ndcg10);
  assert.ok(fit.blended.ndcg10 > fit.sequenceOnly.ndcg10 + 0.2, `${fit.blended.ndcg10} vs ${fit.sequenceOnly.ndcg10}`);
  assert.deepEqual(evaluateBlend(cases, fit.weights), fit.blended);
  assert.equal(evaluateBlend(cases, weightsOf({ sequence: 1 })).ndcg10, fit.sequenceOnly.ndcg10);
});

test('items file: JSONL; a malformed line is reported with its number', () => {
  const good = join(dir, 'items.jsonl');
  writeFileSync(good, '{"id":"1","title":"Alien","tags":["sci-fi"]}\n\n{"id":2,"text":"A romance."}\n');
  const items = readItems(good);
  assert.deepEqual(items.get('1'), { id: '1', title: 'Alien', tags: ['sci-fi'] });
  assert.deepEqual(items.get('2'), { id: '2', tags: [], text: 'A romance.' });
  const bad = join(dir, 'bad.jsonl');
  writeFileSync(bad, '{"id":"1"}\n{"id":"2","tags":"drama"}\n');
  assert.throws(() => readItems(bad), /bad\.jsonl:2: "tags" must be an array of strings/);
  writeFileSync(bad, '{"id":"1"}\n{"id":"2",\n');
  assert.throws(() => readItems(bad), /bad\.jsonl:2: not valid JSON/);
});

test('blend on a tiny model: tags help, weights land in the manifest the worker reads', () => {
  // 4 genres of 15 items; each user watches 9 items of one genre in random order. A barely trained model
  // knows little; the genre (tags, titles, co-watching) knows a lot.
  const rand = random(11);
  const lines: string[] = [];
  for (let u = 1; u <= 80; u++) {
    const genre = u % 4;
    const pool = Array.from({ length: 15 }, (_, i) => 100 * (genre + 1) + i);
    for (let i = pool.length - 1; i > 0; i--) {
      const j = Math.floor(rand() * (i + 1));
      [pool[i], pool[j]] = [pool[j]!, pool[i]!];
    }
    for (const item of pool.slice(0, 9)) lines.push(`u${u} ${item}`);
  }
  const data = join(dir, 'seq.txt');
  writeFileSync(data, `${lines.join('\n')}\n`);
  const genres = ['space', 'romance', 'western', 'horror'];
  const items = join(dir, 'items.jsonl');
  // a poster per item, one flat colour per genre (relative paths); one missing, one not a JPEG
  mkdirSync(join(dir, 'posters'), { recursive: true });
  const colours = [
    [20, 30, 160],
    [230, 80, 150],
    [200, 150, 60],
    [30, 30, 30],
  ] as const;
  genres.forEach((_, k) => {
    const [r, g, b] = colours[k]!;
    const data = new Uint8Array(32 * 48 * 4).map((_, i) => [r, g, b, 255][i % 4]!);
    writeFileSync(join(dir, 'posters', `${k}.jpg`), jpeg.encode({ data, width: 32, height: 48 }, 90).data);
  });
  writeFileSync(join(dir, 'posters', 'broken.jpg'), 'not a jpeg');
  const poster = (k: number, i: number): string => (i === 3 ? 'posters/missing.jpg' : i === 4 ? 'posters/broken.jpg' : `posters/${k}.jpg`);
  writeFileSync(
    items,
    `${genres.flatMap((g, k) => Array.from({ length: 15 }, (_, i) => JSON.stringify({ id: String(100 * (k + 1) + i), title: `${g} film ${i}`, tags: [g], image: poster(k, i) }))).join('\n')}\n`,
  );
  const model = join(dir, 'model');
  const t = cli(
    'train',
    '--interactions',
    data,
    '--out',
    model,
    '--dim',
    '8',
    '--max-len',
    '8',
    '--blocks',
    '1',
    '--epochs',
    '1',
    '--batch-size',
    '64',
    '--lr',
    '0.0005',
    '--quiet',
  );
  assert.equal(t.code, 0, t.stderr);

  const json = join(dir, 'blend.json');
  const r = cli('blend', '--model', model, '--interactions', data, '--items', items, '--json', json, '--users', '60');
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /fitted blend/);
  const report = JSON.parse(readFileSync(json, 'utf8')) as {
    users: number;
    signals: string[];
    weights: Record<string, number>;
    valid: { sequence: { ndcg10: number }; blend: { ndcg10: number } };
    test: { sequence: { ndcg10: number }; blend: { ndcg10: number } };
  };
  assert.equal(report.users, 60);
  assert.ok(report.signals.includes('tags') && report.signals.includes('contentText') && report.signals.includes('contentImage'));
  // unusable images are reported per item and skipped, never fatal
  assert.match(r.stderr, /image vectors: 52 items .*\(8 skipped\)/);
  assert.match(r.stderr, /image of item 103 skipped: .*missing\.jpg: file not found/);
  assert.match(r.stderr, /image of item 104 skipped: .*broken\.jpg: not a readable JPEG/);
  // Genre shows in the tags, the titles and what is watched together: at least one of them is picked up.
  assert.ok(
    report.weights.tags! > 0 || report.weights.contentText! > 0 || report.weights.cooccurrence! > 0,
    JSON.stringify(report.weights),
  );
  assert.ok(report.valid.blend.ndcg10 > report.valid.sequence.ndcg10 + 0.1, JSON.stringify(report.valid));
  assert.ok(report.test.blend.ndcg10 > report.test.sequence.ndcg10, JSON.stringify(report.test));

  const manifest = parseManifest(JSON.parse(readFileSync(join(model, 'manifest.json'), 'utf8')), 'sequence');
  const shipped = parseBlend(manifest.metadata);
  assert.deepEqual(shipped, report.weights);
  assert.equal(typeof shipped!.contentImage, 'number');
  const weights = blendWeights(shipped);
  assert.equal(weights.tags, report.weights.tags);
  assert.equal(weights.contentImage, report.weights.contentImage);
  const fit = manifest.metadata!.blendFit as { users: number; date: string };
  assert.equal(fit.users, 60);
  assert.ok(!Number.isNaN(Date.parse(fit.date)));

  // The model directory still verifies (only metadata changed) and evaluates.
  const e = cli('eval', '--model', model, '--interactions', data, '--json', join(dir, 'eval.json'));
  assert.equal(e.code, 0, e.stderr);
});

test('blend errors: one clear line, no stack trace', () => {
  const data = join(dir, 'seq.txt');
  let r = cli('blend', '--model', join(dir, 'nope'), '--interactions', data);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /error \(model-load\): No manifest\.json/);
  noStack(r.stderr);
  r = cli('blend', '--model', 'public/models/text', '--interactions', data);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /expected a sequence model, got text/);
  const bad = join(dir, 'bad-items.jsonl');
  writeFileSync(bad, '{"id":"100","tags":["space"]}\nnot json\n');
  r = cli('blend', '--model', join(dir, 'model'), '--interactions', data, '--items', bad);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /error \(invalid-argument\): .*bad-items\.jsonl:2: not valid JSON/);
  noStack(r.stderr);
  const short = join(dir, 'short.txt');
  writeFileSync(short, 'u1 100\nu1 101\nu2 102\n');
  r = cli('blend', '--model', join(dir, 'model'), '--interactions', short);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /no validation users/);
  noStack(r.stderr);
});

test('a cached model picks up refitted blend weights from the new manifest (same files, new metadata)', async () => {
  const bytes = new TextEncoder().encode('weights');
  const manifest = (blend: Record<string, number>): string =>
    JSON.stringify({
      formatVersion: 1,
      kind: 'sequence',
      name: 'sasrec',
      version: 'v1',
      config: {},
      files: [{ path: 'w.bin', sha256: createHash('sha256').update(bytes).digest('hex'), bytes: bytes.byteLength }],
      metadata: { blend },
    });
  let served = manifest({ sequence: 1, tags: 0.5 });
  let fileFetches = 0;
  const realFetch = globalThis.fetch;
  globalThis.fetch = (async (input: string | URL | Request): Promise<Response> => {
    const url = String(input instanceof Request ? input.url : input);
    if (url.endsWith('manifest.json')) return new Response(served);
    fileFetches++;
    return new Response(bytes);
  }) as typeof fetch;
  const db = new Database(`blend-loader-${process.pid}`);
  try {
    const url = 'http://models.test/seq/manifest.json';
    const first = await loadModelFiles(db, url, 'sequence');
    // The registry caches a download only once the model built and passed its self-check.
    await first.keep?.();
    assert.deepEqual(parseBlend(first.manifest.metadata), { sequence: 1, tags: 0.5 });
    served = manifest({ sequence: 1, tags: 0.02 });
    const second = await loadModelFiles(db, url, 'sequence');
    assert.equal(second.source, 'cache');
    assert.equal(fileFetches, 1, 'unchanged files are not downloaded again');
    assert.deepEqual(parseBlend(second.manifest.metadata), { sequence: 1, tags: 0.02 });
  } finally {
    globalThis.fetch = realFetch;
    await db.close();
  }
});
