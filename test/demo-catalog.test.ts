/** The demo's MovieLens catalog builder: parsing, plot join, sequences and tables (on tiny temp files). */
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { DemoSetupError, locateDataset } from '../demo/build/dataset';
import { displayTitle, readMovies, readPlots, titleKey } from '../demo/build/movies';
import { buildTables, readSequences } from '../training/tables';

const dir = mkdtempSync(join(tmpdir(), 'tb-demo-'));

test('movies.dat is read as latin-1 with years, genres and readable titles', () => {
  const file = join(dir, 'movies.dat');
  writeFileSync(
    file,
    Buffer.from(
      "1::Toy Story (1995)::Animation|Children's|Comedy\n2::Matrix, The (1999)::Action|Sci-Fi\n3::Cité des enfants perdus, La (1995)::Sci-Fi\n",
      'latin1',
    ),
  );
  const movies = readMovies(file);
  assert.deepEqual(
    movies.map((m) => [m.id, m.title, m.year]),
    [
      ['1', 'Toy Story', 1995],
      ['2', 'The Matrix', 1999],
      ['3', 'La Cité des enfants perdus', 1995],
    ],
  );
  assert.deepEqual(movies[1]?.genres, ['Action', 'Sci-Fi']);
  assert.equal(displayTitle('Usual Suspects, The'), 'The Usual Suspects');
});

test('plots join by normalised title and year', () => {
  const file = join(dir, 'plots.json');
  writeFileSync(
    file,
    JSON.stringify([
      { movie_title: 'Matrix, The (1999)', description: 'A hacker learns the truth.' },
      { movie_title: 'No year', description: '' },
    ]),
  );
  const plots = readPlots(file);
  assert.equal(plots.get(titleKey('The Matrix', 1999)), 'A hacker learns the truth.');
  assert.equal(plots.size, 1);
});

test('sequences come from sequences.txt order or ratings.dat timestamps', () => {
  const seqFile = join(dir, 'sequences.txt');
  writeFileSync(seqFile, '1 10\n1 20\n2 20\n2 30\n');
  assert.deepEqual(readSequences(seqFile), [
    ['10', '20'],
    ['20', '30'],
  ]);
  const datFile = join(dir, 'ratings.dat');
  writeFileSync(datFile, '1::20::5::200\n1::10::3::100\n2::30::4::50\n');
  assert.deepEqual(readSequences(datFile), [['10', '20'], ['30']]);
});

test('popularity counts and co-occurrence neighbours (normalised, at least two co-views)', () => {
  const seqs = [
    ['a', 'b', 'c'],
    ['a', 'b'],
    ['b', 'c'],
    ['a', 'd'],
  ];
  const { popularity, cooccurrence } = buildTables(seqs);
  assert.deepEqual(popularity.counts, { a: 3, b: 3, c: 2, d: 1 });
  assert.equal(cooccurrence.neighbors.a?.[0]?.[0], 'b');
  assert.equal(
    cooccurrence.neighbors.a?.some(([id]) => id === 'd'),
    false,
    'one co-view is noise',
  );
  const w = cooccurrence.neighbors.b?.[0]?.[1] ?? 0;
  assert.ok(w > 0 && w <= 1);
});

test('a missing dataset is a DemoSetupError that says where to get MovieLens', () => {
  assert.throws(
    () => locateDataset(join(dir, 'nowhere'), dir),
    (err: unknown) =>
      err instanceof DemoSetupError && /grouplens\.org\/datasets\/movielens/.test(err.message) && /TASTEBUD_DATA_DIR/.test(err.message),
  );
});
