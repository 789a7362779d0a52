/** The status strip: backend (and why others were rejected), models, last recommendation latency. */
import type { Info, ModelInfo } from '../lib/index';

export function formatBytes(bytes: number | undefined): string {
  if (bytes === undefined) return '?';
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} kB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}

function modelText(m: ModelInfo): string {
  if (m.status === 'error') return `${m.kind}: failed`;
  // Loaded on first use: the image model only when an item needs encoding, the vectors as the page starts.
  if (m.status === 'not-configured') return `${m.kind}: not loaded (not needed yet)`;
  const size = m.bytes !== undefined ? `${formatBytes(m.bytes)}, ` : '';
  return `${m.kind}: ${size}${m.loadMs ?? '?'} ms`;
}

function backendText(info: Info): string {
  if (!info.wasm) return info.backend;
  const threads = info.wasm.threads > 1 ? `${info.wasm.threads} threads` : `1 thread (${info.wasm.threadsOff ?? 'single-threaded'})`;
  return `${info.backend} (${info.wasm.simd ? 'SIMD, ' : ''}${threads})`;
}

export function renderStatus(strip: HTMLElement, errors: HTMLElement, info: Info, latencyMs: number | null): void {
  const rejected = info.backendsTried.filter((a) => !a.ok).map((a) => `${a.name} (${a.reason ?? 'rejected'})`);
  const parts: Array<[string, string, string]> = [
    ['backend', 'Backend', `${backendText(info)}${rejected.length > 0 ? ` — not used: ${rejected.join('; ')}` : ''}`],
    ['models', 'Models', info.models.map(modelText).join(' · ')],
    ['latency', 'Last action, click to row updated', latencyMs === null ? '—' : `${latencyMs.toFixed(0)} ms`],
  ];
  strip.replaceChildren(
    ...parts.map(([key, name, value]) => {
      const item = document.createElement('span');
      item.className = `status-${key}`;
      item.dataset.key = key;
      const b = document.createElement('b');
      b.textContent = `${name}: `;
      item.append(b, value);
      return item;
    }),
  );
  strip.dataset.backend = info.backend;
  const failed = info.models.filter((m) => m.status === 'error');
  errors.replaceChildren(
    ...failed.map((m) => {
      const p = document.createElement('p');
      p.className = 'model-error';
      p.textContent = `The ${m.kind} model could not be loaded (${m.error ?? 'unknown error'}). Recommendations still work with the other signals.`;
      return p;
    }),
  );
  errors.hidden = failed.length === 0;
}
