/** tfjs backend for the CLI: wasm (default, 7–30x faster than cpu here) or cpu. */
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { TastebudError } from '../common/errors';
import { registerWasmKernels } from '../workers/backends/wasm-kernels';

export async function setupBackend(name: string): Promise<string> {
  if (name !== 'wasm' && name !== 'cpu')
    throw new TastebudError('invalid-argument', `--backend must be wasm or cpu, got ${name}`, { field: 'backend' });
  registerWasmKernels();
  // silence tfjs' "Hi there" console banner for the cpu backend in Node
  const ok = await tf.setBackend(name);
  if (!ok) throw new TastebudError('backend-unavailable', `tfjs backend ${name} could not be initialised`, { field: 'backend' });
  await tf.ready();
  return tf.getBackend();
}
