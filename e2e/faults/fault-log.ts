/**
 * Every fault test records, as Playwright annotations, what kind of fault it
 * is and what it measured; scripts/faults-summary.ts adds them up from the
 * JSON report for docs/reliability.md.
 *  - targeted: faults injected on purpose (a crash, a broken file, a hostile value);
 *  - random: calls of a seeded random sequence, with the sequence's name, so a
 *    sequence replayed on several backends counts once;
 *  - checks: tests that inject nothing (leak loops, CSP, migration).
 * `acknowledged` is how many events the test saw acknowledged before the fault
 * and `found` how many of those it found afterwards: the summary reports the
 * difference, so a loss is a number, not only a failed assertion.
 */
import type { TestInfo } from '@playwright/test';

export interface FaultRecord {
  targeted?: number;
  random?: { sequence: string; calls: number };
  checks?: number;
  acknowledged?: number;
  found?: number;
}

export function recordFaults(testInfo: TestInfo, record: FaultRecord): void {
  const note = (type: string, value: string | number): void => {
    testInfo.annotations.push({ type, description: String(value) });
  };
  if (record.targeted !== undefined) note('faults-targeted', record.targeted);
  if (record.random) note('random-calls', `${record.random.sequence}=${record.random.calls}`);
  if (record.checks !== undefined) note('checks', record.checks);
  note('events-acknowledged', record.acknowledged ?? 0);
  note('events-found', record.found ?? 0);
}
