/** One training batch of left-padded windows and their next-item targets. */
import type { LaterTargets } from '../../workers/models/sequence/ops';

export interface Batch {
  ids: Int32Array;
  targets: Int32Array;
  batch: number;
  len: number;
  /** Items after each position's next item (`ids` is [batch·len·K], 0 = none) and their weights. */
  later?: LaterTargets;
  /** Label smoothing ε of this batch's targets (0 or absent = off). */
  labelSmoothing?: number;
}
