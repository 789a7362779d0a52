/**
 * Worker-thread entry for data-parallel training (`tastebud train --threads N`):
 * holds a copy of the model, and for each message sets the weights it is sent
 * and answers with the loss and gradients of the shard it is sent, or with the
 * ranks of the held-out items of the validation cases it is sent.
 */
import { parentPort, workerData } from 'node:worker_threads';
import * as tf from '@tensorflow/tfjs';
import type { GradientWorkerData, GradientWorkerReply, GradientWorkerRequest } from './gradient-pool';
import { setupBackend } from './backend';
import { initParams } from './sequence/model';
import { shardGradients } from './sequence/train';
import { mulberry32 } from '../common/random';
import { scoreHistories } from './sequence/infer';
import { rankCases } from './metrics';

async function run(): Promise<void> {
  const port = parentPort;
  if (!port) throw new Error('gradient-worker.ts must run in a worker thread');
  const data = workerData as GradientWorkerData;
  await setupBackend(data.backend);
  const params = initParams(data.config, data.seed);
  const vars = [...params.values()];
  const random = mulberry32(data.seed);
  port.on('message', (msg: GradientWorkerRequest) => {
    try {
      tf.tidy(() => vars.forEach((v, k) => v.assign(tf.tensor(msg.weights[k] as Float32Array, v.shape))));
      if (msg.kind === 'ranks') {
        const ranks = rankCases((h) => scoreHistories(params, data.config, h).scores, data.config.numItems, msg.inputs, msg.targets);
        port.postMessage({ id: msg.id, ranks } satisfies GradientWorkerReply, [ranks.buffer as ArrayBuffer]);
        return;
      }
      const r = shardGradients(params, data.config, msg.shard, data.sampledNegatives, random);
      const reply: GradientWorkerReply = { id: msg.id, loss: r.loss, targets: r.targets, grads: r.grads };
      port.postMessage(
        reply,
        r.grads.map((g) => g.buffer as ArrayBuffer),
      );
    } catch (err) {
      const reply: GradientWorkerReply = { id: msg.id, error: err instanceof Error ? err.message : String(err) };
      port.postMessage(reply);
    }
  });
  port.postMessage({ ready: true });
}

run().catch((err: unknown) => {
  parentPort?.postMessage({ id: -1, error: err instanceof Error ? err.message : String(err) } satisfies GradientWorkerReply);
});
