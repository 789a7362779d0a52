/**
 * Interactive calls first. The page waits on recommend(), track(), similar(),
 * search(), history() and coldStartPicks(); it does not wait on item encoding
 * or adapt(), which run in slices. Between slices background work yields to
 * the event loop (so messages that arrived are read) and then waits while any
 * interactive call is still running. One engine per worker, so one scheduler.
 */

let running = 0;
let waiting: Array<() => void> = [];

/** Runs an interactive call; background slices wait until no such call runs. */
export async function interactive<T>(call: () => Promise<T>): Promise<T> {
  running += 1;
  try {
    return await call();
  } finally {
    running -= 1;
    if (running === 0) {
      const wake = waiting;
      waiting = [];
      for (const resume of wake) resume();
    }
  }
}

/** Awaited by background work between two slices. */
export async function yieldToInteractive(): Promise<void> {
  // A macrotask, not a microtask: the worker's message queue is only read between macrotasks.
  await new Promise<void>((resolve) => setTimeout(resolve, 0));
  while (running > 0) await new Promise<void>((resolve) => waiting.push(resolve));
}

/** The engine's methods a visitor waits on. */
export const INTERACTIVE_METHODS = Object.freeze(['recommend', 'track', 'similar', 'search', 'history', 'coldStartPicks'] as const);

/** The engine with its interactive methods marked, so background work yields to them. */
export function prioritise<E extends Record<(typeof INTERACTIVE_METHODS)[number], (...args: never[]) => Promise<unknown>>>(engine: E): E {
  const out = { ...engine };
  for (const name of INTERACTIVE_METHODS) {
    const method = engine[name];
    (out as Record<string, unknown>)[name] = (...args: Parameters<typeof method>) => interactive(() => method(...args));
  }
  return out;
}
