/**
 * JS heap of the engine's worker. `performance.memory` does not exist in
 * workers, so this asks Chromium's DevTools protocol: auto-attach to the page's
 * workers and call HeapProfiler.collectGarbage + Runtime.getHeapUsage there.
 */
import type { CDPSession, Page } from '@playwright/test';

interface Reply {
  id: number;
  result?: { usedSize?: number };
  error?: { message: string };
}
interface Attached {
  sessionId: string;
  targetInfo: { type: string; url: string };
}

export interface WorkerHeapProbe {
  /** Used heap bytes of the newest worker after a forced GC. */
  usedBytes(): Promise<number>;
  close(): Promise<void>;
}

export async function probeWorkerHeap(page: Page): Promise<WorkerHeapProbe> {
  const cdp: CDPSession = await page.context().newCDPSession(page);
  const workers: Attached[] = [];
  const pending = new Map<number, (message: Reply) => void>();
  let nextId = 1;
  cdp.on('Target.attachedToTarget', (event: Attached) => {
    if (event.targetInfo.type === 'worker') workers.push(event);
  });
  cdp.on('Target.detachedFromTarget', (event: { sessionId: string }) => {
    const i = workers.findIndex((w) => w.sessionId === event.sessionId);
    if (i >= 0) workers.splice(i, 1);
  });
  cdp.on('Target.receivedMessageFromTarget', (event: { message: string }) => {
    const message = JSON.parse(event.message) as Reply;
    pending.get(message.id)?.(message);
    pending.delete(message.id);
  });
  // Non-flat mode keeps this session independent of Playwright's own.
  await cdp.send('Target.setAutoAttach', { autoAttach: true, waitForDebuggerOnStart: false, flatten: false });
  const call = (sessionId: string, method: string) =>
    new Promise<Reply>((resolve, reject) => {
      const id = nextId++;
      pending.set(id, resolve);
      cdp.send('Target.sendMessageToTarget', { sessionId, message: JSON.stringify({ id, method, params: {} }) }).catch(reject);
    });
  return {
    async usedBytes() {
      for (let wait = 0; workers.length === 0 && wait < 50; wait++) await new Promise((r) => setTimeout(r, 100));
      const worker = workers[workers.length - 1];
      if (!worker) throw new Error('no worker attached');
      await call(worker.sessionId, 'HeapProfiler.collectGarbage');
      const usage = await call(worker.sessionId, 'Runtime.getHeapUsage');
      if (usage.error || usage.result?.usedSize === undefined)
        throw new Error(`Runtime.getHeapUsage failed: ${usage.error?.message ?? 'no result'}`);
      return usage.result.usedSize;
    },
    close: () => cdp.detach(),
  };
}
