/** The results file's shape and the performance table (docs/performance.md) rendered from it (pure). */
import { ratio, type Summary } from './stats';
import type { SizeResult } from './sizes';

export const MARKER_START = '<!-- bench:start -->';
export const MARKER_END = '<!-- bench:end -->';

/** Published anchors and the issue's targets. */
export const ANCHORS = {
  /** SASRec on tfjs-wasm incl. top-10 over 10k–100k items: 12–15 ms; target within 1.5× of it. */
  sasrecMs: 15,
  sasrecTargetMs: 22.5,
  /** tfjs MobileNetV2 on WebGL. */
  mobilenetMsPerImage: 20,
  warmStartTargetMs: 1000,
  mainGzipTargetBytes: 20 * 1024,
  batchedSpeedupTarget: 10,
} as const;

export interface TopkEntry {
  backend: string;
  items: number;
  dim: number;
  medianMs: number;
  baselineMedianMs: number;
  [key: string]: unknown;
}

export interface RecommendEntry extends Summary {
  backend: string;
  items: number;
  /** `sasrec`: sequence model + popularity; `popularity`: popularity only (the same-run baseline). */
  model: 'sasrec' | 'popularity';
  p50Ms: number;
  warmup: number;
}

export interface MemoryEntry {
  backend: string;
  items: number;
  calls: number;
  tensorsBefore: number;
  tensorsAfter: number;
  tensorBytesBefore: number;
  tensorBytesAfter: number;
  workerHeapBefore: number;
  workerHeapAfter: number;
  /** Worker heap after GC: before, after the timed calls, then about every tenth of the run. */
  workerHeapSeries?: number[];
  /** recommend() calls done at each point of `workerHeapSeries`. */
  workerHeapSeriesCalls?: number[];
}

export interface StartupEntry {
  backend: string;
  cold: Summary;
  warm: Summary;
  /** Medians of the parts of a warm start. */
  warmCreateMs: number;
  warmBackendMs: number;
  warmModelLoadMs: number;
  warmFirstRecommendMs: number;
  /** First recommend() minus the second one, median over warm starts: waiting for the model, first catalog read, kernel / shader warm-up. */
  warmupCostMs: number;
  coldModelLoadMs: number;
}

export interface EncoderEntry {
  backend: string;
  kind: 'text' | 'image';
  count: number;
  /** Per item, encoding only (upsert with the model minus the same upsert without it). */
  perItem: Summary;
  itemsPerSec: number;
  anchorMsPerItem?: number;
  /** Set when the row comes from a separate `bench/run.ts --only text` run. */
  run?: { date: string; durationS: number; browser: string };
}

export interface IndexedDbResult {
  events: number;
  batched10kMs: number;
  perEvent10kMs: number;
  batched: Summary;
  perEvent: Summary;
  speedup: number;
  historyRead: Summary;
  export: Summary;
  import: Summary;
  /** upsertItems() of the 100k-item synthetic catalog, one call. */
  upsert100kItemsMs?: number;
}

export interface BrowserResults {
  browser: string;
  machine: { cpu: string; cores: number; memoryGiB: number; os: string; node: string };
  date: string;
  mode: 'full' | 'quick';
  durationS: number;
  /** One-minute load average before and after the run; `busy` when it started above the idle threshold. */
  load?: { before: number; after: number; busy: boolean };
  /** Backends that ran on a software-emulated GPU here. */
  emulated?: string[];
  /** How the wasm backend ran: SIMD, threads, and why not more threads. */
  wasm?: { simd: boolean; threads: number; threadsOff?: string } | null;
  notes: string[];
  topk: TopkEntry[];
  recommend: RecommendEntry[];
  memory: MemoryEntry[];
  /** Set when the memory rows come from a separate `bench/run.ts --only memory` run. */
  memoryRun?: { date: string; durationS: number; browser: string };
  startup: { coldMs: number; warmMs: number; backend: string; perBackend: StartupEntry[] };
  encoders: EncoderEntry[];
  indexeddb: IndexedDbResult | null;
  size: SizeResult;
}

const ms = (v: number): string => (v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v.toFixed(2));
const kB = (b: number): string => `${(b / 1024).toFixed(1)} kB`;
const MB = (b: number): string => `${(b / 1024 / 1024).toFixed(1)} MB`;
const verdict = (ok: boolean, miss: string): string => (ok ? 'met' : `missed: ${miss}`);

function row(cells: string[]): string {
  return `| ${cells.join(' | ')} |`;
}

/**
 * Heap after GC is flat when the second half of the checkpoints grows < 5 %
 * (a one-time cache filling during the first calls is not a leak); with only
 * before/after, when it grows < 10 %.
 */
export function heapIsFlat(series: readonly number[]): boolean {
  if (series.length < 2) return true;
  const last = series[series.length - 1]!;
  if (series.length < 4) return last <= series[0]! * 1.1;
  return last <= series[Math.floor(series.length / 2)]! * 1.05;
}

/** A long heap series shortened to start, after the timed calls, middle and end, each with its call count when known. */
function heapPoints(series: readonly number[], calls: readonly number[] | undefined): string {
  const picks = series.length > 5 ? [0, 1, Math.floor((series.length - 1) / 2), series.length - 1] : series.map((_, i) => i);
  return picks.map((i) => `${(series[i]! / 1024 / 1024).toFixed(2)}${calls?.[i] !== undefined ? ` (${calls[i]})` : ''}`).join(' → ');
}

export function renderTable(r: BrowserResults): string {
  const emulated = new Set(r.emulated ?? []);
  /** A backend's name, marked where it ran on a software-emulated GPU. */
  const label = (backend: string): string => (emulated.has(backend) ? `${backend} (emulated)` : backend);
  const load = r.load
    ? ` Load average ${r.load.before} before, ${r.load.after} after${r.load.busy ? ' (busy: figures too high)' : ''}.`
    : '';
  const wasm = r.wasm
    ? ` wasm: ${r.wasm.simd ? 'SIMD' : 'no SIMD'}, ${r.wasm.threads} thread${r.wasm.threads === 1 ? '' : 's'}${r.wasm.threadsOff ? ` (${r.wasm.threadsOff})` : ''}.`
    : '';
  const lines = [
    `Measured ${r.date.slice(0, 10)} on ${r.machine.cpu} (${r.machine.cores} cores), ${r.browser}, \`npm run bench${r.mode === 'quick' ? ':quick' : ''}\` → \`bench/results/browser.json\`.` +
      (r.memoryRun
        ? ` Memory rows: \`bench/run.ts --only memory\` on ${r.memoryRun.date.slice(0, 10)} (${Math.round(r.memoryRun.durationS / 60)} min).`
        : '') +
      load +
      wasm,
    '',
    row(['what', 'backend', 'median (p95)', 'same-run baseline', 'target', 'verdict']),
    row(['---', '---', '---', '---', '---', '---']),
  ];
  for (const e of r.recommend.filter((x) => x.model === 'sasrec')) {
    const base = r.recommend.find((x) => x.model === 'popularity' && x.backend === e.backend && x.items === e.items);
    lines.push(
      row([
        `recommend() SASRec, ${e.items.toLocaleString('en')} items, k=10`,
        label(e.backend),
        `${ms(e.p50Ms)} ms (${ms(e.p95Ms)})`,
        base
          ? `popularity only ${ms(base.p50Ms)} ms; anchor ${ANCHORS.sasrecMs} ms (${ratio(e.p50Ms, ANCHORS.sasrecMs)})`
          : `anchor ${ANCHORS.sasrecMs} ms`,
        `≤ ${ANCHORS.sasrecTargetMs} ms`,
        verdict(e.p50Ms <= ANCHORS.sasrecTargetMs, `${ratio(e.p50Ms, ANCHORS.sasrecTargetMs)} over`),
      ]),
    );
  }
  for (const s of r.startup.perBackend) {
    lines.push(
      row([
        'start-up: createRecommender() → first result',
        label(s.backend),
        `warm ${ms(s.warm.medianMs)} ms (${ms(s.warm.p95Ms)})`,
        `cold ${ms(s.cold.medianMs)} ms; backend init + self-test ${ms(s.warmBackendMs)} ms; first call − second ${ms(s.warmupCostMs)} ms`,
        `warm < ${ANCHORS.warmStartTargetMs} ms`,
        verdict(s.warm.medianMs < ANCHORS.warmStartTargetMs, `${ratio(s.warm.medianMs, ANCHORS.warmStartTargetMs)} over`),
      ]),
    );
  }
  for (const e of r.encoders) {
    const anchor = e.anchorMsPerItem;
    lines.push(
      row([
        `${e.kind} encoder, ${e.count.toLocaleString('en')} ${e.kind === 'text' ? 'items' : 'images'}`,
        label(e.backend),
        `${ms(e.perItem.medianMs)} ms/item (${ms(e.perItem.p95Ms)}), ${e.itemsPerSec >= 10 ? e.itemsPerSec.toFixed(0) : e.itemsPerSec.toPrecision(2)}/s${e.kind === 'text' ? `, all ${e.count.toLocaleString('en')} in ${((e.perItem.medianMs * e.count) / 1000).toFixed(0)} s` : ''}${e.run ? ` (separate run ${e.run.date.slice(0, 10)})` : ''}`,
        anchor !== undefined
          ? `MobileNetV2 WebGL anchor ${anchor} ms/image (${ratio(e.perItem.medianMs, anchor)})`
          : 'storage-only upsert subtracted',
        anchor !== undefined ? `≈ ${anchor} ms/image` : '–',
        anchor !== undefined ? verdict(e.perItem.medianMs <= anchor * 1.5, `${ratio(e.perItem.medianMs, anchor)} the anchor`) : '–',
      ]),
    );
  }
  const idb = r.indexeddb;
  if (idb) {
    lines.push(
      row([
        `track() ${idb.events.toLocaleString('en')} events, one batch`,
        'IndexedDB',
        `${ms(idb.batched.medianMs)} ms (${ms(idb.batched.p95Ms)})`,
        `one call per event ${ms(idb.perEvent.medianMs)} ms (${idb.speedup.toFixed(0)}× slower)`,
        `≥ ${ANCHORS.batchedSpeedupTarget}× faster batched`,
        verdict(idb.speedup >= ANCHORS.batchedSpeedupTarget, `${idb.speedup.toFixed(1)}×`),
      ]),
    );
    lines.push(
      row([
        `history() of ${idb.events.toLocaleString('en')} events / export / import`,
        'IndexedDB',
        `${ms(idb.historyRead.medianMs)} / ${ms(idb.export.medianMs)} / ${ms(idb.import.medianMs)} ms`,
        '–',
        '–',
        '–',
      ]),
    );
    if (idb.upsert100kItemsMs !== undefined)
      lines.push(row(['upsertItems() of 100,000 items, one call', 'IndexedDB', `${ms(idb.upsert100kItemsMs)} ms (once)`, '–', '–', '–']));
  }
  const mem = r.memory;
  for (const m of mem) {
    const grew = m.tensorsAfter - m.tensorsBefore;
    const series = m.workerHeapSeries ?? [m.workerHeapBefore, m.workerHeapAfter];
    const heapFlat = heapIsFlat(series);
    lines.push(
      row([
        `memory after ${m.calls.toLocaleString('en')} recommend() calls`,
        label(m.backend),
        `tensors ${m.tensorsBefore} → ${m.tensorsAfter}; worker heap ${heapPoints(series, m.workerHeapSeriesCalls)} MB`,
        'before the calls',
        'no growth',
        verdict(grew === 0 && heapFlat, `${grew} tensors, heap +${((m.workerHeapAfter - m.workerHeapBefore) / 1024).toFixed(0)} kB`),
      ]),
    );
  }
  const z = r.size;
  lines.push(
    row([
      'main-thread entry (minified, gzip)',
      '–',
      kB(z.mainGzipBytes),
      `worker ${kB(z.workerGzipBytes)}${z.lazyChunks.map((c) => ` + lazy ${kB(c.gzipBytes)}`).join('')}`,
      `≤ ${kB(ANCHORS.mainGzipTargetBytes)}`,
      verdict(z.mainGzipBytes <= ANCHORS.mainGzipTargetBytes, kB(z.mainGzipBytes)),
    ]),
  );
  lines.push(
    row([
      'models on the wire (raw / gzip)',
      '–',
      z.models.map((m) => `${m.name} ${MB(m.bytes)} / ${MB(m.gzipBytes)}`).join('; '),
      '–',
      '–',
      '–',
    ]),
  );
  if (r.topk.length === 0) {
    lines.push(row(['top-k scoring', '–', 'not measured in this run', '–', '–', '–']));
  } else {
    for (const t of r.topk) {
      lines.push(
        row([
          `top-10 of ${t.items.toLocaleString('en')} × ${t.dim}${typeof t.env === 'string' ? ` (${t.env})` : ''}`,
          label(t.backend),
          `${ms(t.medianMs)} ms`,
          `plain JS ${ms(t.baselineMedianMs)} ms (${ratio(t.baselineMedianMs, t.medianMs)} speed-up)`,
          '–',
          '–',
        ]),
      );
    }
  }
  if (r.notes.length > 0) lines.push('', ...r.notes.map((n) => `- ${n}`));
  return lines.join('\n');
}

/** Replaces only what lies between the markers; throws when they are missing. */
export function replaceBetweenMarkers(readme: string, content: string, name = 'the document'): string {
  const start = readme.indexOf(MARKER_START);
  const end = readme.indexOf(MARKER_END);
  if (start < 0 || end < start) throw new Error(`${name} needs ${MARKER_START} … ${MARKER_END}`);
  return `${readme.slice(0, start + MARKER_START.length)}\n${content}\n${readme.slice(end)}`;
}
