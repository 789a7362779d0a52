// Test harness: puts the public API on window so Playwright can drive it, and
// keeps every Worker the library creates so fault tests can kill one. When a
// test sets `window.faultAgent`, the worker script is wrapped so that the fault
// agent (fault-agent.ts) runs inside the worker before the engine.
import * as tastebud from '../../lib/index';
import { faultAgentSource, type Fault, type FaultReply, type StartupFault } from './fault-agent';

declare global {
  interface Window {
    tastebud: typeof tastebud;
    workers: Worker[];
    /** Set before createRecommender() to run the fault agent in the next workers. */
    faultAgent?: { startup: StartupFault[] };
    /** Sends a fault to every worker running the agent; resolves with the agent's answer. */
    injectFault: (fault: Fault) => Promise<FaultReply>;
  }
}

const NativeWorker = window.Worker;
window.workers = [];
window.Worker = class extends NativeWorker {
  constructor(url: string | URL, options?: WorkerOptions) {
    const agent = window.faultAgent;
    if (agent) {
      // Static imports run in order: the agent first, then the engine. (A dynamic import would let the
      // page's first message arrive before the engine listens for it.)
      const blobUrl = (code: string): string => URL.createObjectURL(new Blob([code], { type: 'text/javascript' }));
      const agentUrl = blobUrl(faultAgentSource(agent.startup));
      const absolute = new URL(url, location.href).href;
      super(blobUrl(`import ${JSON.stringify(agentUrl)};\nimport ${JSON.stringify(absolute)};\n`), options);
    } else {
      super(url, options);
    }
    window.workers.push(this);
  }
};
window.injectFault = (fault) =>
  new Promise((resolve) => {
    const channel = new BroadcastChannel('tastebud-faults');
    channel.onmessage = (event: MessageEvent<FaultReply>) => {
      channel.close();
      resolve(event.data);
    };
    channel.postMessage(fault);
  });
window.tastebud = tastebud;
document.getElementById('status')!.textContent = 'ready';
