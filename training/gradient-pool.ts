/**
 * Node worker threads that compute gradient shards for data-parallel training,
 * and share the validation runs (ranks of held-out items) between them.
 * tfjs-backend-wasm runs one thread in Node, so each extra thread is an extra
 * core's worth of training throughput.
 */
import { Worker } from 'node:worker_threads';
import type { Batch } from './sequence/train';
import type { GradientPeer, ShardGradients } from './sequence/data-parallel';
import type { SequenceArchConfig } from './sequence/model';
import { type BatchScorer, leaveOneOutCases, metricsOfRanks, rankCases, type RankingMetrics } from './metrics';

export interface GradientWorkerData {
  config: SequenceArchConfig;
  backend: string;
  seed: number;
  sampledNegatives: number;
}
export type GradientWorkerRequest =
  | { id: number; kind: 'gradients'; weights: readonly Float32Array[]; shard: Batch }
  | { id: number; kind: 'ranks'; weights: readonly Float32Array[]; inputs: Int32Array[]; targets: Int32Array };
export type GradientWorkerReply =
  | ({ id: number; error?: undefined; ranks?: undefined } & ShardGradients)
  | { id: number; error?: undefined; ranks: Int32Array }
  | { id: number; error: string };

/** A gradient thread that can also rank held-out items (`training/metrics.ts` `rankCases`) with the weights it is sent. */
export interface TrainingPeer extends GradientPeer {
  ranks(weights: readonly Float32Array[], inputs: Int32Array[], targets: Int32Array): Promise<Int32Array>;
}

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

type Waiter = { resolve(r: Exclude<GradientWorkerReply, { error: string }>): void; reject(e: Error): void };

class ThreadPeer implements TrainingPeer {
  private next = 0;
  private readonly pending = new Map<number, Waiter>();
  private failure: Error | null = null;

  constructor(private readonly worker: Worker) {
    worker.on('message', (msg: GradientWorkerReply | { ready: true }) => {
      if ('ready' in msg) return;
      const waiter = this.pending.get(msg.id);
      if (msg.error !== undefined) {
        const err = new Error(`gradient thread failed: ${msg.error}`);
        if (waiter) {
          this.pending.delete(msg.id);
          waiter.reject(err);
        } else this.fail(err);
        return;
      }
      if (!waiter) return;
      this.pending.delete(msg.id);
      waiter.resolve(msg);
    });
    worker.on('error', (err) => this.fail(err));
    worker.on('exit', (code) => {
      if (code !== 0) this.fail(new Error(`gradient thread exited with code ${code}`));
    });
  }

  private fail(err: Error): void {
    this.failure = err;
    for (const w of this.pending.values()) w.reject(err);
    this.pending.clear();
  }

  private request(message: GradientWorkerRequest): Promise<Exclude<GradientWorkerReply, { error: string }>> {
    if (this.failure) return Promise.reject(this.failure);
    return new Promise((resolve, reject) => {
      this.pending.set(message.id, { resolve, reject });
      this.worker.postMessage(message);
    });
  }

  async gradients(weights: readonly Float32Array[], shard: Batch): Promise<ShardGradients> {
    const r = await this.request({ id: this.next++, kind: 'gradients', weights, shard });
    if (r.ranks !== undefined) throw new Error('gradient thread answered a gradient request with ranks');
    return { loss: r.loss, targets: r.targets, grads: r.grads };
  }

  async ranks(weights: readonly Float32Array[], inputs: Int32Array[], targets: Int32Array): Promise<Int32Array> {
    const r = await this.request({ id: this.next++, kind: 'ranks', weights, inputs, targets });
    if (r.ranks === undefined) throw new Error('gradient thread answered a rank request with gradients');
    return r.ranks;
  }

  async dispose(): Promise<void> {
    await this.worker.terminate();
  }
}

/** Starts `count` gradient threads and waits until each has its model and backend ready. */
export async function startGradientPeers(count: number, data: GradientWorkerData): Promise<TrainingPeer[]> {
  const started = await Promise.allSettled(
    Array.from(
      { length: count },
      () =>
        new Promise<ThreadPeer>((resolve, reject) => {
          const worker = spawnWorker(data);
          const onMessage = (msg: GradientWorkerReply | { ready: true }): void => {
            if ('ready' in msg) {
              cleanup();
              resolve(new ThreadPeer(worker));
            } else if (msg.error !== undefined) {
              cleanup();
              void worker.terminate();
              reject(new Error(msg.error));
            }
          };
          const onError = (err: Error): void => {
            cleanup();
            reject(err);
          };
          const cleanup = (): void => {
            worker.off('message', onMessage);
            worker.off('error', onError);
          };
          worker.on('message', onMessage);
          worker.on('error', onError);
        }),
    ),
  );
  const peers = started.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : []));
  const failed = started.find((s): s is PromiseRejectedResult => s.status === 'rejected');
  if (failed) {
    await Promise.all(peers.map((p) => p.dispose()));
    throw new Error(`could not start a gradient thread: ${failed.reason instanceof Error ? failed.reason.message : String(failed.reason)}`);
  }
  return peers;
}

/**
 * `evaluateLeaveOneOut` with the batches of cases dealt round-robin between
 * this thread (`score`) and the peers (each scoring with `weights`): the same
 * ranks, in about 1 / (peers + 1) of the time.
 */
export async function evaluateLeaveOneOutShared(
  score: BatchScorer,
  weights: readonly Float32Array[],
  peers: readonly TrainingPeer[],
  numItems: number,
  seqs: readonly Int32Array[],
  evalUsers: readonly number[],
  which: 'valid' | 'test',
  batchSize = 256,
): Promise<RankingMetrics> {
  const { inputs, targets } = leaveOneOutCases(seqs, evalUsers, which);
  const parts = peers.length + 1;
  const owned: number[][] = Array.from({ length: parts }, () => []);
  for (let start = 0, k = 0; start < inputs.length; start += batchSize, k++) {
    for (let i = start; i < Math.min(inputs.length, start + batchSize); i++) (owned[k % parts] as number[]).push(i);
  }
  const pick = (idx: number[]): { inputs: Int32Array[]; targets: Int32Array } => ({
    inputs: idx.map((i) => inputs[i] as Int32Array),
    targets: Int32Array.from(idx, (i) => targets[i] as number),
  });
  const remote = peers.map((peer, p) => {
    const part = pick(owned[p + 1] as number[]);
    return peer.ranks(weights, part.inputs, part.targets);
  });
  const local = pick(owned[0] as number[]);
  const ranks = new Int32Array(inputs.length);
  const place = (idx: number[], r: Int32Array): void =>
    idx.forEach((i, j) => {
      ranks[i] = r[j] as number;
    });
  place(owned[0] as number[], rankCases(score, numItems, local.inputs, local.targets, batchSize));
  (await Promise.all(remote)).forEach((r, p) => place(owned[p + 1] as number[], r));
  return metricsOfRanks(ranks);
}
