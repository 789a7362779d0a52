import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { buildVocabulary, leaveOneOut, readInteractions, toSequences } from '../training/data';
import { TastebudError } from '../common/errors';

const dir = mkdtempSync(join(tmpdir(), 'tastebud-data-'));
const file = (name: string, text: string): string => {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
};

async function rejects(path: string, code: string, pattern: RegExp): Promise<void> {
  await assert.rejects(readInteractions(path), (err: unknown) => {
    assert.ok(err instanceof TastebudError, 'a TastebudError');
    assert.equal(err.code, code);
    assert.match(err.message, pattern);
    return true;
  });
}

test('sequences.txt style: ordered "user item" lines, re-consumption kept', async () => {
  const log = await readInteractions(file('seq.txt', '1 10\n1 2\n2 10\n1 10\n'));
  assert.deepEqual(log.users, ['1', '2']);
  assert.deepEqual(
    log.byUser.get('1')?.map((r) => r.item),
    ['10', '2', '10'],
  );
  assert.equal(log.fingerprint.format, 'whitespace');
  assert.equal(log.fingerprint.interactions, 4);
  assert.match(log.fingerprint.sha256, /^[0-9a-f]{64}$/);
});

test('CSV with header, columns by name, sorted by timestamp', async () => {
  const log = await readInteractions(file('h.csv', 'timestamp,itemId,userId,rating\n30,a,u1,4\n10,b,u1,5\n20,c,u1,3.5\n5,a,u2,1\n'));
  assert.equal(log.fingerprint.format, 'csv+header');
  assert.deepEqual(
    log.byUser.get('u1')?.map((r) => r.item),
    ['b', 'c', 'a'],
  );
  assert.deepEqual(
    log.byUser.get('u1')?.map((r) => r.rating),
    [5, 3.5, 4],
  );
});

test('TSV without header (MovieLens u.data) and "::" files', async () => {
  const tsv = await readInteractions(file('u.data', '196\t242\t3\t881250949\n186\t302\t3\t891717742\n196\t1\t4\t881250900\n'));
  assert.deepEqual(
    tsv.byUser.get('196')?.map((r) => r.item),
    ['1', '242'],
  );
  const dat = await readInteractions(file('ratings.dat', '1::1193::5::978300760\n1::661::3::978302109\n'));
  assert.equal(dat.fingerprint.format, 'movielens-dat');
  assert.deepEqual(
    dat.byUser.get('1')?.map((r) => r.rating),
    [5, 3],
  );
});

test('vocabulary: numeric ids ascending by value; sequences are 1-based', async () => {
  const log = await readInteractions(file('v.txt', '1 10\n1 9\n2 100\n2 9\n'));
  const vocab = buildVocabulary(log);
  assert.deepEqual(vocab, ['9', '10', '100']);
  const { seqs } = toSequences(log, vocab);
  assert.deepEqual(
    seqs.map((s) => [...s]),
    [
      [2, 1],
      [3, 1],
    ],
  );
  const other = toSequences(log, ['9', '10']);
  assert.equal(other.unknown, 1);
  const split = leaveOneOut([Int32Array.from([1, 2, 3, 4]), Int32Array.from([1, 2])]);
  assert.deepEqual(split.evalUsers, [0]);
  assert.deepEqual([...(split.train[0] ?? [])], [1, 2]);
  assert.deepEqual([...(split.train[1] ?? [])], [1, 2]);
});

test('bad input: line numbers in clear invalid-argument errors', async () => {
  await rejects(file('missing.csv', 'user,item,rating\n1,2,3\n7\n'), 'invalid-argument', /missing\.csv:3: expected at least 3 columns/);
  await rejects(file('rating.csv', '1,2,5\n1,3,five\n'), 'invalid-argument', /rating\.csv:2: rating "five" is not a number/);
  await rejects(file('user.csv', '1,2\n,3\n'), 'invalid-argument', /user\.csv:2: empty user id/);
  await rejects(file('ts.tsv', '1\t2\t5\t100\n1\t3\t4\tyesterday-ish\n'), 'invalid-argument', /ts\.tsv:2: timestamp/);
  await rejects(file('empty.csv', 'user,item\n'), 'invalid-argument', /no interactions/);
  await rejects(join(dir, 'nope.csv'), 'invalid-argument', /not found/);
});

test('duplicate lines are skipped with a warning (or rejected when asked)', async () => {
  const p = file('dup.csv', '1,2,5,100\n1,3,4,101\n1,2,5,100\n');
  const log = await readInteractions(p);
  assert.equal(log.fingerprint.duplicatesSkipped, 1);
  assert.match(log.warnings[0] ?? '', /line 3 duplicates line 1/);
  await assert.rejects(readInteractions(p, { skipDuplicates: false }), /dup\.csv:3: duplicate of line 1/);
});
