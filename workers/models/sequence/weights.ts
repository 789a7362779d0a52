/** Sequence-model weights as tf.Variables, from and back to the weights.bin layout. */
import * as tf from '@tensorflow/tfjs';
import { TastebudError } from '../../../common/errors';
import { decodeWeights, type WeightSpec } from '../../../common/model-format/sequence';

function mismatch(name: string, got: readonly number[] | undefined, expected: readonly number[]): TastebudError {
  return new TastebudError(
    'model-load',
    `Sequence model weight ${name} is ${got ? `of shape [${got.join(', ')}]` : 'missing'}, expected [${expected.join(', ')}]; the model directory is inconsistent.`,
    { field: name },
  );
}

/** One trainable variable per expected (name, shape); nothing is left allocated when a weight is missing or misshapen. */
export function weightVariables(
  specs: readonly WeightSpec[],
  bytes: ArrayBuffer,
  shapes: ReadonlyArray<[string, number[]]>,
): Map<string, tf.Variable> {
  const decoded = decodeWeights(specs, bytes);
  const out = new Map<string, tf.Variable>();
  for (const [name, shape] of shapes) {
    const w = decoded.get(name);
    if (!w || w.shape.join(',') !== shape.join(',')) {
      for (const v of out.values()) v.dispose();
      throw mismatch(name, w?.shape, shape);
    }
    const t = tf.tensor(w.data, shape);
    out.set(name, tf.variable(t, true));
    t.dispose();
  }
  return out;
}

/** Replaces every variable's value with the same-named weight of `bytes` (checked first, so a bad file changes nothing). */
export function assignWeights(variables: Map<string, tf.Variable>, specs: readonly WeightSpec[], bytes: ArrayBuffer): void {
  const decoded = decodeWeights(specs, bytes);
  for (const [name, v] of variables) {
    const w = decoded.get(name);
    if (!w || w.shape.join(',') !== v.shape.join(',')) throw mismatch(name, w?.shape, v.shape);
  }
  for (const [name, v] of variables) tf.tidy(() => v.assign(tf.tensor(decoded.get(name)!.data, v.shape)));
}
