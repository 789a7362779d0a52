/**
 * Markdown tables from a bench/topk/run.ts result (for the top-k section of docs/performance.md):
 *   node --import tsx bench/topk/table.ts bench/results/topk.json
 */
import { readFileSync } from 'node:fs';
import type { Skipped, TopkFigure } from './measure';

const file = process.argv[2] ?? 'bench/results/topk.json';
const result = JSON.parse(readFileSync(file, 'utf8')) as {
  topk: TopkFigure[];
  skipped: Skipped[];
  bandwidthGBs: Record<string, number>;
  browser: string;
  machine: string;
  date: string;
  loadAverage?: unknown;
};

const ms = (x: number): string => (x >= 100 ? x.toFixed(0) : x >= 10 ? x.toFixed(1) : x.toFixed(2));
const where = (f: { env: string; profile?: string }): string => (f.profile ? `${f.env}/${f.profile}` : f.env);

console.log(
  `${result.machine}; ${result.browser}; ${result.date}; read bandwidth ceiling ${Object.entries(result.bandwidthGBs)
    .map(([k, v]) => `${k} ${v.toFixed(1)} GB/s`)
    .join(', ')}; load ${JSON.stringify(result.loadAverage)}\n`,
);
console.log(
  '| env | backend | items × d | median ms (min / p95) | paired baseline ms | speedup | GB/s f32-equiv (moved) | recall@10 | reps |',
);
console.log('| --- | --- | --- | --- | --- | --- | --- | --- | --- |');
for (const f of result.topk) {
  console.log(
    `| ${where(f)} | ${f.backend} | ${f.items / 1000}k × ${f.dim} | ${ms(f.medianMs)} (${ms(f.minMs)} / ${ms(f.p95Ms)}) | ${ms(f.baselineMedianMs)} | ${f.speedup.toFixed(1)}× | ${f.gbPerSec.toFixed(1)} (${f.gbPerSecMoved.toFixed(1)}) | ${f.recall10.toFixed(2)} | ${f.reps} |`,
  );
}
if (result.skipped.length > 0) {
  console.log('\nSkipped:\n');
  for (const s of result.skipped) console.log(`- ${where(s)} ${s.backend} ${s.items / 1000}k × ${s.dim}: ${s.reason}`);
}
