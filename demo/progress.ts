/** Progress bars for long work reported by the engine (model downloads, item encoding, imports). */
import type { ProgressEvent } from '../lib/index';

const LABELS: Record<ProgressEvent['task'], string> = {
  backend: 'Starting the engine',
  'load-model': 'Loading',
  'store-items': 'Catalog',
  'encode-text': 'Catalog',
  'encode-image': 'Catalog',
  import: 'Importing history',
};

export class ProgressBars {
  private readonly bars = new Map<string, HTMLElement>();
  private readonly listeners = new Set<(event: ProgressEvent) => void>();

  constructor(private readonly container: HTMLElement) {}

  /** Called for every engine progress event. */
  update(event: ProgressEvent): void {
    const key = event.task;
    let row = this.bars.get(key);
    const finished = event.total === 0 || event.done >= event.total;
    if (finished) {
      row?.remove();
      this.bars.delete(key);
    } else {
      if (!row) {
        row = document.createElement('div');
        row.className = 'progress-row';
        row.innerHTML = '<span class="progress-label"></span><progress max="1" value="0"></progress>';
        this.container.append(row);
        this.bars.set(key, row);
      }
      const text = `${LABELS[event.task]}: ${event.message} — ${event.done} / ${event.total}`;
      (row.querySelector('.progress-label') as HTMLElement).textContent = text;
      const bar = row.querySelector('progress') as HTMLProgressElement;
      bar.max = event.total;
      bar.value = event.done;
      bar.setAttribute('aria-label', text);
    }
    document.body.dataset.busy = String(this.bars.size > 0);
    for (const listener of this.listeners) listener(event);
  }

  /** Returns a function that removes the listener. */
  onEvent(listener: (event: ProgressEvent) => void): () => void {
    this.listeners.add(listener);
    return () => {
      this.listeners.delete(listener);
    };
  }
}
