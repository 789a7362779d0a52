import assert from 'node:assert/strict';
import { test } from 'node:test';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runTopk } from '../bench/topk-merge';

const dir = mkdtempSync(join(tmpdir(), 'tb-topk-'));

test('runTopk spawns the script with --out (and --quick) and returns its topk rows', () => {
  const script = join(dir, 'ok.ts');
  writeFileSync(
    script,
    `import { writeFileSync } from 'node:fs';
const out = process.argv[process.argv.indexOf('--out') + 1]!;
const quick = process.argv.includes('--quick');
writeFileSync(out, JSON.stringify({ topk: [{ backend: 'js', items: quick ? 10000 : 100000, dim: 64, medianMs: 1.5, baselineMedianMs: 3 }], browser: 'x' }));
`,
  );
  const notes: string[] = [];
  const rows = runTopk({ script, out: join(dir, 'ok.json'), quick: true, cwd: process.cwd() }, notes);
  assert.deepEqual(rows, [{ backend: 'js', items: 10000, dim: 64, medianMs: 1.5, baselineMedianMs: 3 }]);
  assert.deepEqual(notes, []);
  assert.equal(runTopk({ script, out: join(dir, 'ok2.json'), quick: false, cwd: process.cwd() }, notes)[0]!.items, 100000);
});

test('a missing script, a failing script or output without topk leave a note and no rows', () => {
  const notes: string[] = [];
  assert.deepEqual(runTopk({ script: join(dir, 'absent.ts'), out: join(dir, 'a.json'), quick: false, cwd: process.cwd() }, notes), []);
  const failing = join(dir, 'fail.ts');
  writeFileSync(failing, 'process.exit(3);\n');
  assert.deepEqual(runTopk({ script: failing, out: join(dir, 'f.json'), quick: false, cwd: process.cwd() }, notes), []);
  const wrong = join(dir, 'wrong.ts');
  writeFileSync(
    wrong,
    `import { writeFileSync } from 'node:fs';\nwriteFileSync(process.argv[process.argv.indexOf('--out') + 1]!, '{"rows": []}');\n`,
  );
  assert.deepEqual(runTopk({ script: wrong, out: join(dir, 'w.json'), quick: false, cwd: process.cwd() }, notes), []);
  assert.equal(notes.length, 3);
  assert.match(notes[0]!, /not in this checkout/);
  assert.match(notes[1]!, /exited with 3/);
  assert.match(notes[2]!, /no `topk` array/);
});
