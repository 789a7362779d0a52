import assert from 'node:assert/strict';
import { test } from 'node:test';
import { median, percentile, ratio, summarize } from '../bench/stats';
import { heapIsFlat, MARKER_END, MARKER_START, renderTable, replaceBetweenMarkers, type BrowserResults } from '../bench/report';
import { staticClosure, staticImports } from '../bench/bundle-graph';

test('summarize: min, median (mean of the middle two when even) and nearest-rank p95, order-independent', () => {
  assert.deepEqual(summarize([5, 1, 3]), { n: 3, minMs: 1, medianMs: 3, p95Ms: 5 });
  assert.deepEqual(summarize([4, 1, 3, 2]), { n: 4, minMs: 1, medianMs: 2.5, p95Ms: 4 });
  const hundred = Array.from({ length: 100 }, (_, i) => 100 - i); // 100..1
  assert.deepEqual(summarize(hundred), { n: 100, minMs: 1, medianMs: 50.5, p95Ms: 95 });
  assert.deepEqual(summarize([7]), { n: 1, minMs: 7, medianMs: 7, p95Ms: 7 });
  assert.equal(summarize([1.23456, 2]).minMs, 1.23);
});

test('percentile and median reject empty input; summarize rejects non-finite samples', () => {
  assert.throws(() => percentile([], 95), RangeError);
  assert.throws(() => median([]), RangeError);
  assert.throws(() => summarize([1, Number.NaN]), RangeError);
  assert.equal(percentile([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20], 95), 19);
  assert.equal(percentile([10, 20], 0), 10);
});

test('ratio formats a×b and handles missing values', () => {
  assert.equal(ratio(30, 15), '2.0×');
  assert.equal(ratio(300, 15), '20×');
  assert.equal(ratio(undefined, 15), '–');
  assert.equal(ratio(3, 0), '–');
});

test('staticImports finds static imports of a minified module, not dynamic ones', () => {
  const code = 'import{a as b}from"./dist-A1.js";import"./side-B2.js";const c=()=>import("./lazy-C3.js");';
  assert.deepEqual(staticImports(code), ['assets/dist-A1.js', 'assets/side-B2.js']);
  const files = new Map([
    ['assets/entry.js', code],
    ['assets/dist-A1.js', 'import{x}from"./side-B2.js";export const a=1;'],
    ['assets/side-B2.js', 'export const x=2;'],
    ['assets/lazy-C3.js', 'export const c=3;'],
  ]);
  assert.deepEqual([...staticClosure(files, 'assets/entry.js')].sort(), ['assets/dist-A1.js', 'assets/entry.js', 'assets/side-B2.js']);
});

function sample(): BrowserResults {
  const s = (m: number) => ({ n: 5, minMs: m * 0.9, medianMs: m, p95Ms: m * 1.2 });
  return {
    browser: 'Chromium 1.0',
    machine: { cpu: 'Test CPU', cores: 2, memoryGiB: 8, os: 'linux', node: 'v20' },
    date: '2026-01-02T03:04:05.000Z',
    mode: 'full',
    durationS: 1,
    notes: ['webgpu is emulated'],
    topk: [],
    recommend: [
      { backend: 'cpu', items: 3706, model: 'sasrec', ...s(30), p50Ms: 30, warmup: 5 },
      { backend: 'cpu', items: 3706, model: 'popularity', ...s(10), p50Ms: 10, warmup: 5 },
      { backend: 'webgl', items: 3706, model: 'sasrec', ...s(20), p50Ms: 20, warmup: 5 },
    ],
    memory: [
      {
        backend: 'cpu',
        items: 3706,
        calls: 1000,
        tensorsBefore: 40,
        tensorsAfter: 40,
        tensorBytesBefore: 1,
        tensorBytesAfter: 1,
        workerHeapBefore: 10e6,
        workerHeapAfter: 10e6,
      },
    ],
    startup: {
      coldMs: 2000,
      warmMs: 500,
      backend: 'cpu',
      perBackend: [
        {
          backend: 'cpu',
          cold: s(2000),
          warm: s(500),
          warmCreateMs: 100,
          warmBackendMs: 50,
          warmModelLoadMs: 200,
          warmFirstRecommendMs: 300,
          warmupCostMs: 120,
          coldModelLoadMs: 900,
        },
      ],
    },
    encoders: [{ backend: 'webgl', kind: 'image', count: 16, perItem: s(60), itemsPerSec: 16.7, anchorMsPerItem: 20 }],
    indexeddb: {
      events: 10000,
      batched10kMs: 100,
      perEvent10kMs: 5000,
      batched: s(100),
      perEvent: s(5000),
      speedup: 50,
      historyRead: s(40),
      export: s(60),
      import: s(200),
      upsert100kItemsMs: 9000,
    },
    size: {
      mainGzipBytes: 7000,
      mainBytes: 19000,
      workerGzipBytes: 250_000,
      workerBytes: 950_000,
      lazyChunks: [],
      models: [{ name: 'text', files: 6, bytes: 5_800_000, gzipBytes: 5_200_000 }],
    },
  };
}

test('renderTable: one row per figure with its same-run baseline and a verdict against the target', () => {
  const table = renderTable(sample());
  const rows = table.split('\n').filter((l) => l.startsWith('| '));
  assert.equal(rows[0], '| what | backend | median (p95) | same-run baseline | target | verdict |');
  const cpu = rows.find((r) => r.includes('SASRec') && r.includes('| cpu |'))!;
  assert.match(cpu, /30\.0 ms \(36\.0\)/);
  assert.match(cpu, /popularity only 10\.0 ms; anchor 15 ms \(2\.0×\)/);
  assert.match(cpu, /missed: 1\.3× over/);
  assert.match(
    rows.find((r) => r.includes('| webgl |') && r.includes('SASRec'))!,
    /\| met \|$/,
  );
  assert.match(
    rows.find((r) => r.startsWith('| start-up'))!,
    /warm 500 ms.*cold 2000 ms.*\| met \|$/,
  );
  assert.match(
    rows.find((r) => r.startsWith('| image encoder'))!,
    /missed: 3\.0× the anchor/,
  );
  assert.match(
    rows.find((r) => r.startsWith('| track()'))!,
    /50× slower.*\| met \|$/,
  );
  assert.match(
    rows.find((r) => r.startsWith('| upsertItems() of 100,000'))!,
    /9000 ms \(once\)/,
  );
  assert.match(
    rows.find((r) => r.startsWith('| memory'))!,
    /tensors 40 → 40; worker heap 9\.54 → 9\.54 MB.*\| met \|$/,
  );
  assert.match(
    rows.find((r) => r.startsWith('| main-thread'))!,
    /6\.8 kB.*\| met \|$/,
  );
  assert.match(
    rows.find((r) => r.startsWith('| top-k'))!,
    /not measured/,
  );
  assert.ok(table.includes('- webgpu is emulated'));
  assert.ok(table.startsWith('Measured 2026-01-02 on Test CPU (2 cores), Chromium 1.0'));
});

test('heapIsFlat: a cache that fills early is flat, steady growth is not', () => {
  assert.equal(heapIsFlat([10, 12, 12.1, 12.2]), true);
  assert.equal(heapIsFlat([10, 11, 12, 13]), false);
  assert.equal(heapIsFlat([10, 10.5]), true);
  assert.equal(heapIsFlat([10, 12]), false);
});

test('replaceBetweenMarkers rewrites only between the markers and needs both', () => {
  const readme = `# x\n\nbefore\n${MARKER_START}\nold table\n${MARKER_END}\nafter\n`;
  const once = replaceBetweenMarkers(readme, 'new table');
  assert.equal(once, `# x\n\nbefore\n${MARKER_START}\nnew table\n${MARKER_END}\nafter\n`);
  assert.equal(replaceBetweenMarkers(once, 'new table'), once);
  assert.throws(() => replaceBetweenMarkers('# no markers', 'x'), /needs/);
});
