/** How much each ranking signal counts in the blend, and the defaults for users with and without a sequence model. */
export interface BlendWeights {
  sequence: number;
  cooccurrence: number;
  tags: number;
  popularity: number;
  contentText: number;
  contentImage: number;
}

/**
 * For a user the sequence model does not score (no model, or none of their
 * items in its vocabulary): content first. Hand-set; on ML-1M new users
 * (first 3 events) they beat popularity (docs/experiments.md).
 */
export const DEFAULT_WEIGHTS: BlendWeights = {
  sequence: 1,
  cooccurrence: 1,
  tags: 0.5,
  popularity: 0.15,
  contentText: 0.6,
  contentImage: 0.3,
};

/**
 * For a user the sequence model scores, when its manifest ships no fitted
 * blend (`tastebud blend` writes one): what that command fitted for SASRec on
 * ML-1M (the image weight, fitted at 0.001, set at the text weight). Next to a
 * trained sequence model the other signals only nudge: with these weights a
 * single two-block SASRec scores 0.1625 test NDCG@10 (alone 0.1612); with
 * DEFAULT_WEIGHTS an earlier, weaker SASRec lost ~0.03 (docs/experiments.md).
 */
export const SEQUENCE_DEFAULT_WEIGHTS: BlendWeights = {
  sequence: 1,
  cooccurrence: 0.1,
  tags: 0.02,
  popularity: 0.15,
  contentText: 0.01,
  contentImage: 0.01,
};

export type SignalName = keyof BlendWeights;
