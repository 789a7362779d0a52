/**
 * Kernels tfjs-backend-wasm 4.22 lacks or makes slow for training: a zero-copy
 * `Identity`, and `UnsortedSegmentSum`
 * (the gradient of `gather`, i.e. of every embedding lookup). A plain JS
 * scatter-add; the output is allocated through the backend before any heap
 * view is taken, since heap growth invalidates views. The sequence models
 * use their own gather gradient (workers/models/sequence/ops.ts), so this is
 * only needed for code that differentiates through stock `tf.gather` on wasm.
 */
import * as tf from '@tensorflow/tfjs';

interface WasmLikeBackend {
  readSync(dataId: object): unknown;
  incRef(dataId: object): void;
  write(values: tf.TypedArray, shape: number[], dtype: tf.DataType): object;
}

let registered = false;

export function registerWasmKernels(): void {
  if (registered) return;
  registered = true;
  registerSharedIdentity();
  if (tf.getKernel('UnsortedSegmentSum', 'wasm')) return;
  tf.registerKernel({
    kernelName: 'UnsortedSegmentSum',
    backendName: 'wasm',
    kernelFunc: ({ inputs, backend, attrs }) => {
      const { x, segmentIds } = inputs as { x: tf.TensorInfo; segmentIds: tf.TensorInfo };
      const numSegments = (attrs as { numSegments: number }).numSegments;
      const b = backend as unknown as WasmLikeBackend;
      const values = b.readSync(x.dataId) as Float32Array;
      const ids = b.readSync(segmentIds.dataId) as Int32Array;
      const width = x.shape.slice(segmentIds.shape.length).reduce((a, c) => a * c, 1);
      const out = new Float32Array(numSegments * width);
      for (let i = 0; i < ids.length; i++) {
        const id = ids[i] as number;
        if (id < 0 || id >= numSegments) continue;
        const o = id * width;
        const r = i * width;
        for (let k = 0; k < width; k++) out[o + k] = (out[o + k] as number) + (values[r + k] as number);
      }
      // write(), not makeTensorInfo(): the browser build of BackendWasm has only the former.
      const shape = [numSegments, ...x.shape.slice(segmentIds.shape.length)];
      return { dataId: b.write(out, shape, 'float32'), shape, dtype: 'float32' };
    },
  });
}

/**
 * wasm's `Identity` copies the tensor; the engine calls it for every tensor an
 * op saves for its gradient, which was ~8 % of a SASRec training step. Like
 * the cpu and webgl backends (and wasm's own `Reshape`), share the data and
 * count a reference instead: tensors are immutable, so nothing can tell.
 */
function registerSharedIdentity(): void {
  if (tf.getKernel('Identity', 'wasm')) tf.unregisterKernel('Identity', 'wasm');
  tf.registerKernel({
    kernelName: 'Identity',
    backendName: 'wasm',
    kernelFunc: ({ inputs, backend }) => {
      const { x } = inputs as { x: tf.TensorInfo };
      (backend as unknown as WasmLikeBackend).incRef(x.dataId);
      return { dataId: x.dataId, shape: x.shape, dtype: x.dtype };
    },
  });
}
