/**
 * Every fault test records what it injected and how many acknowledged events
 * it lost, as Playwright annotations; scripts/faults-summary.ts adds them up
 * from the JSON report for the Reliability table of docs/reliability.md.
 */
import type { TestInfo } from '@playwright/test';

export function recordFaults(testInfo: TestInfo, injected: number, eventsLost = 0): void {
  testInfo.annotations.push({ type: 'faults-injected', description: String(injected) });
  testInfo.annotations.push({ type: 'events-lost', description: String(eventsLost) });
}
