// Test harness: puts the public API on window so Playwright can drive it, and
// keeps every Worker the library creates so fault tests can kill one.
import * as tastebud from '../../lib/index';

declare global {
  interface Window {
    tastebud: typeof tastebud;
    workers: Worker[];
  }
}

const NativeWorker = window.Worker;
window.workers = [];
window.Worker = class extends NativeWorker {
  constructor(url: string | URL, options?: WorkerOptions) {
    super(url, options);
    window.workers.push(this);
  }
};
window.tastebud = tastebud;
document.getElementById('status')!.textContent = 'ready';
