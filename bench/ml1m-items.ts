/**
 * Writes an items file for `tastebud blend --items` from MovieLens 1M:
 * titles and genres (as tags) from ml-1m/movies.dat, plots from
 * ml-100k-plots joined by title, posters from ml-1m/posters (absolute paths),
 * read with the demo catalog's own readers, and the item text built as the
 * demo page builds it. The output is derived
 * from MovieLens and goes to a git-ignored path (never commit it).
 *
 *   node --import tsx bench/ml1m-items.ts [--data-dir <dir>] [--out bench/.cache/ml1m-items.jsonl]
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { DemoSetupError, locateDataset } from '../demo/build/dataset';
import { blendItemLine, posterFile, readMovies, readPlots, titleKey } from '../demo/build/movies';

const ROOT = resolve(import.meta.dirname, '..');

function main(): void {
  const { values } = parseArgs({ options: { 'data-dir': { type: 'string' }, out: { type: 'string' } }, strict: true });
  const data = locateDataset(values['data-dir'], ROOT);
  const out = resolve(values.out ?? resolve(ROOT, 'bench/.cache/ml1m-items.jsonl'));
  const plots = data.plots ? readPlots(data.plots) : new Map<string, string>();
  let withPlot = 0;
  let withPoster = 0;
  const lines = readMovies(data.movies).map((m) => {
    const plot = plots.get(titleKey(m.title, m.year)) ?? '';
    const poster = data.posters ? posterFile(data.posters, m.id) : null;
    if (plot) withPlot++;
    if (poster) withPoster++;
    return blendItemLine({ ...m, plot }, poster);
  });
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(out, `${lines.join('\n')}\n`);
  process.stderr.write(`${out}: ${lines.length} movies, ${withPlot} with a plot, ${withPoster} with a poster\n`);
}

try {
  main();
} catch (err) {
  process.stderr.write(`${err instanceof DemoSetupError || err instanceof Error ? err.message : String(err)}\n`);
  process.exitCode = 1;
}
