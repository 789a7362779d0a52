/** The idle-machine rule every benchmark follows. */
import { loadavg } from 'node:os';

/**
 * Figures taken while other work shares the cores are several times too high: a run
 * that starts above this one-minute load average stops unless --allow-busy is given.
 */
export const MAX_IDLE_LOAD = 1.0;

/** The one-minute load average now; exits with a message when it is above MAX_IDLE_LOAD and busy runs are not allowed. */
export function loadOrRefuse(allowBusy: boolean): number {
  const load = loadavg()[0]!;
  if (load > MAX_IDLE_LOAD && !allowBusy) {
    console.error(
      `The one-minute load average is ${load.toFixed(2)} (> ${MAX_IDLE_LOAD}): other work shares the cores, so the figures would be too high. Wait, or pass --allow-busy to record them flagged.`,
    );
    process.exit(2);
  }
  return load;
}
