/**
 * Adds up the fault suite's JSON report (`npm run test:faults` writes
 * test-results/faults.json): faults injected, tests passed, acknowledged events
 * lost, per test and in total, as the Markdown table of docs/reliability.md.
 *   node --import tsx scripts/faults-summary.ts [report.json]
 * Exits non-zero if a test failed, was skipped, or lost an event.
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
  injected: number;
  lost: number;
}
const rows = new Map<string, Row>();
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
      injected: 0,
      lost: 0,
    };
    row.projects.push(t.projectName.replace(/^faults-/, ''));
    row.runs += 1;
    if (result?.status === 'passed') row.passed += 1;
    row.injected += sum(annotations, 'faults-injected');
    row.lost += sum(annotations, 'events-lost');
    rows.set(key, row);
  }
}

const all = [...rows.values()];
const total = all.reduce(
  (s, r) => ({ runs: s.runs + r.runs, passed: s.passed + r.passed, injected: s.injected + r.injected, lost: s.lost + r.lost }),
  { runs: 0, passed: 0, injected: 0, lost: 0 },
);
console.log('| spec | test | backends | passed | faults injected | events lost |');
console.log('| --- | --- | --- | --- | --- | --- |');
for (const r of all)
  console.log(`| ${r.file} | ${r.title} | ${r.projects.join(', ')} | ${r.passed}/${r.runs} | ${r.injected} | ${r.lost} |`);
console.log(`| **total** | | | **${total.passed}/${total.runs}** | **${total.injected}** | **${total.lost}** |`);
const fuzz = all.filter((r) => r.file === 'fuzz.spec.ts').reduce((n, r) => n + r.injected, 0);
console.log(
  `faults: ${total.injected} injected (${fuzz} of them random fuzz calls), ${total.passed}/${total.runs} tests passed, ${total.lost} acknowledged events lost`,
);
process.exit(total.passed === total.runs && total.lost === 0 && total.runs > 0 ? 0 : 1);
