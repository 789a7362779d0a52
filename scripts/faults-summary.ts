/**
 * Adds up the fault suite's JSON report (`npm run test:faults` writes
 * test-results/faults.json) from the annotations of e2e/faults/fault-log.ts:
 * targeted faults, distinct random calls and checks counted separately, and the
 * events each test saw acknowledged against those it found after its fault.
 *   node --import tsx scripts/faults-summary.ts [report.json]
 * Exits non-zero if a test failed or was skipped, or an acknowledged event was not found.
 */
import { readFileSync } from 'node:fs';

interface Annotation {
  type: string;
  description?: string;
}
interface Result {
  status: string;
  annotations?: Annotation[];
  duration: number;
}
interface TestEntry {
  projectName: string;
  annotations?: Annotation[];
  results: Result[];
}
interface Spec {
  title: string;
  file: string;
  tests: TestEntry[];
}
interface Suite {
  specs?: Spec[];
  suites?: Suite[];
}
interface Report {
  suites: Suite[];
}

const file = process.argv[2] ?? 'test-results/faults.json';
const report = JSON.parse(readFileSync(file, 'utf8')) as Report;

function* specs(suites: Suite[]): Generator<Spec> {
  for (const suite of suites) {
    yield* suite.specs ?? [];
    yield* specs(suite.suites ?? []);
  }
}

const sum = (annotations: Annotation[], type: string): number =>
  annotations.filter((a) => a.type === type).reduce((s, a) => s + Number(a.description ?? 0), 0);

interface Row {
  file: string;
  title: string;
  projects: string[];
  passed: number;
  runs: number;
  /** Faults injected on purpose, summed over the backends each ran on. */
  targeted: number;
  checks: number;
  acknowledged: number;
  found: number;
}
const rows = new Map<string, Row>();
/** Random call sequences by name: one sequence replayed on three backends is one sequence of N calls. */
const sequences = new Map<string, number>();
for (const spec of specs(report.suites)) {
  for (const t of spec.tests) {
    const result = t.results.at(-1);
    // Playwright copies testInfo.annotations into both places; count them once.
    const annotations = result?.annotations?.length ? result.annotations : (t.annotations ?? []);
    const key = `${spec.file}::${spec.title}`;
    const row = rows.get(key) ?? {
      file: spec.file.replace(/^.*faults\//, ''),
      title: spec.title,
      projects: [],
      passed: 0,
      runs: 0,
      targeted: 0,
      checks: 0,
      acknowledged: 0,
      found: 0,
    };
    row.projects.push(t.projectName.replace(/^faults-/, ''));
    row.runs += 1;
    if (result?.status === 'passed') row.passed += 1;
    row.targeted += sum(annotations, 'faults-targeted');
    row.checks += sum(annotations, 'checks');
    row.acknowledged += sum(annotations, 'events-acknowledged');
    row.found += sum(annotations, 'events-found');
    for (const a of annotations.filter((x) => x.type === 'random-calls')) {
      const [name, calls] = (a.description ?? '').split('=');
      sequences.set(`${spec.file}::${name}`, Math.max(sequences.get(`${spec.file}::${name}`) ?? 0, Number(calls ?? 0)));
    }
    rows.set(key, row);
  }
}

const all = [...rows.values()];
const total = all.reduce(
  (s, r) => ({
    runs: s.runs + r.runs,
    passed: s.passed + r.passed,
    targeted: s.targeted + r.targeted,
    checks: s.checks + r.checks,
    acknowledged: s.acknowledged + r.acknowledged,
    found: s.found + r.found,
  }),
  { runs: 0, passed: 0, targeted: 0, checks: 0, acknowledged: 0, found: 0 },
);
const randomCalls = [...sequences.values()].reduce((s, n) => s + n, 0);
const lost = total.acknowledged - total.found;
console.log('| spec | test | backends | passed | targeted faults | checks | events acknowledged | found after the fault |');
console.log('| --- | --- | --- | --- | --- | --- | --- | --- |');
for (const r of all)
  console.log(
    `| ${r.file} | ${r.title} | ${r.projects.join(', ')} | ${r.passed}/${r.runs} | ${r.targeted} | ${r.checks} | ${r.acknowledged} | ${r.found} |`,
  );
console.log(
  `| **total** | | | **${total.passed}/${total.runs}** | **${total.targeted}** | **${total.checks}** | **${total.acknowledged}** | **${total.found}** |`,
);
console.log(
  `faults: ${total.targeted} targeted, ${randomCalls} distinct random calls (${sequences.size} seeded sequence(s), counted once however many backends replayed them), ${total.checks} checks; ${total.passed}/${total.runs} tests passed; ${total.acknowledged} acknowledged events, ${lost} lost`,
);
process.exit(total.passed === total.runs && lost === 0 && total.runs > 0 ? 0 : 1);
