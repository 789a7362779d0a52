/**
 * Node worker threads that compute gradient shards for data-parallel training.
 * tfjs-backend-wasm runs one thread in Node, so each extra thread is an extra
 * core's worth of training throughput.
 */
import { Worker } from 'node:worker_threads';
import type { Batch } from '../workers/models/sequence/train';
import type { GradientPeer, ShardGradients } from '../workers/models/sequence/data-parallel';
import type { SequenceArchConfig } from '../workers/models/sequence/model';

export interface GradientWorkerData { config: SequenceArchConfig; backend: string; seed: number; sampledNegatives: number }
export interface GradientWorkerRequest { id: number; weights: readonly Float32Array[]; shard: Batch }
export type GradientWorkerReply = ({ id: number; error?: undefined } & ShardGradients) | { id: number; error: string };

/**
 * The worker script next to this module: gradient-worker.js in the built bin;
 * from source (run through tsx) a small bootstrap registers tsx in the thread
 * first, since Node 20 does not carry `--import` loaders into worker threads.
 */
function spawnWorker(data: GradientWorkerData): Worker {
  if (!import.meta.url.endsWith('.ts')) return new Worker(new URL('./gradient-worker.js', import.meta.url), { workerData: data });
  const entry = new URL('./gradient-worker.ts', import.meta.url).href;
  const bootstrap = `import('tsx/esm/api').then((m) => { m.register(); return import(${JSON.stringify(entry)}); });`;
  return new Worker(bootstrap, { eval: true, workerData: data });
}

class ThreadPeer implements GradientPeer {
  private next = 0;
  private readonly pending = new Map<number, { resolve(r: ShardGradients): void; reject(e: Error): void }>();
  private failure: Error | null = null;

  constructor(private readonly worker: Worker) {
    worker.on('message', (msg: GradientWorkerReply | { ready: true }) => {
      if ('ready' in msg) return;
      const waiter = this.pending.get(msg.id);
      if (msg.error !== undefined) {
        const err = new Error(`gradient thread failed: ${msg.error}`);
        if (waiter) { this.pending.delete(msg.id); waiter.reject(err); } else this.fail(err);
        return;
      }
      if (!waiter) return;
      this.pending.delete(msg.id);
      waiter.resolve({ loss: msg.loss, targets: msg.targets, grads: msg.grads });
    });
    worker.on('error', (err) => this.fail(err));
    worker.on('exit', (code) => { if (code !== 0) this.fail(new Error(`gradient thread exited with code ${code}`)); });
  }

  private fail(err: Error): void {
    this.failure = err;
    for (const w of this.pending.values()) w.reject(err);
    this.pending.clear();
  }

  gradients(weights: readonly Float32Array[], shard: Batch): Promise<ShardGradients> {
    if (this.failure) return Promise.reject(this.failure);
    const id = this.next++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      const request: GradientWorkerRequest = { id, weights, shard };
      this.worker.postMessage(request);
    });
  }

  async dispose(): Promise<void> {
    await this.worker.terminate();
  }
}

/** Starts `count` gradient threads and waits until each has its model and backend ready. */
export async function startGradientPeers(count: number, data: GradientWorkerData): Promise<GradientPeer[]> {
  const started = await Promise.allSettled(Array.from({ length: count }, () => new Promise<ThreadPeer>((resolve, reject) => {
    const worker = spawnWorker(data);
    const onMessage = (msg: GradientWorkerReply | { ready: true }): void => {
      if ('ready' in msg) { cleanup(); resolve(new ThreadPeer(worker)); } else if (msg.error !== undefined) { cleanup(); void worker.terminate(); reject(new Error(msg.error)); }
    };
    const onError = (err: Error): void => { cleanup(); reject(err); };
    const cleanup = (): void => { worker.off('message', onMessage); worker.off('error', onError); };
    worker.on('message', onMessage);
    worker.on('error', onError);
  })));
  const peers = started.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : []));
  const failed = started.find((s): s is PromiseRejectedResult => s.status === 'rejected');
  if (failed) {
    await Promise.all(peers.map((p) => p.dispose()));
    throw new Error(`could not start a gradient thread: ${failed.reason instanceof Error ? failed.reason.message : String(failed.reason)}`);
  }
  return peers;
}
