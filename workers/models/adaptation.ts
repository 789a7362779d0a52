/**
 * On-device fine-tuning of the sequence model on one user's own history
 * (adapt()): a few Adam steps of the training objective, one step at a time
 * with a pause in between so other calls keep being answered; the adapted
 * weights are stored per user and model in IndexedDB and applied on the
 * next start, until reset() or forget().
 */
import { DEFAULTS } from '../../common/defaults';
import { TastebudError } from '../../common/errors';
import type { AdaptOptions, AdaptResult } from '../../common/types';
import type { Database } from '../storage/db';
import { deleteAdaptation, readAdaptation, writeAdaptation } from '../storage/adaptations';
import { readForgetEpoch } from '../storage/portability';
import { weightPaths } from '../../common/model-format/ensemble';
import type { SequenceServer } from './serving/server';
import { fineTune } from './fine-tune';
import { yieldToInteractive } from '../priority';

/** Weights are only valid for the exact model they were fitted from (an ensemble: every member's weights file). */
export function adaptationKey(server: SequenceServer): string {
  const hashes = weightPaths(server.config).map((path) => server.manifest.files.find((f) => f.path === path)?.sha256 ?? '');
  return `${server.manifest.name}@${server.manifest.version}:${hashes.join(',')}`;
}

function cancelledByForget(): TastebudError {
  return new TastebudError('aborted', 'adapt() was cancelled by forget(): nothing was stored.');
}

export class Adaptations {
  /** Stored weights are applied once per loaded model. */
  private readonly applied = new WeakMap<SequenceServer, Promise<void>>();
  /** One fine-tuning run at a time. */
  private running: Promise<unknown> = Promise.resolve();
  /** Advanced by cancel(); a run that sees it change stops between steps and stores nothing. */
  private generation = 0;

  constructor(
    private readonly db: Database,
    private readonly userId: string,
  ) {}

  /** Applies this user's stored weights to a freshly loaded model (once). */
  ready(server: SequenceServer): Promise<void> {
    let done = this.applied.get(server);
    if (!done) {
      done = readAdaptation(this.db, this.userId, adaptationKey(server)).then((record) => {
        if (record) server.importWeights(record.weights);
      });
      this.applied.set(server, done);
      done.catch(() => this.applied.delete(server));
    }
    return done;
  }

  /** `history` is read inside the run, after the forget epoch, so a forget() in between is always noticed. */
  adapt(server: SequenceServer, history: Int32Array | (() => Promise<Int32Array>), options: AdaptOptions): Promise<AdaptResult> {
    const generation = this.generation;
    const read = typeof history === 'function' ? history : async (): Promise<Int32Array> => history;
    const run = this.running.then(() => this.fineTune(server, read, options, generation));
    this.running = run.catch(() => undefined);
    return run;
  }

  /**
   * For forget() (here or in another tab): stops the running and queued
   * adapt() calls between steps (they reject `aborted`, storing nothing),
   * resolves once none is running, and serves the shipped weights again.
   */
  async cancel(server: SequenceServer | undefined): Promise<void> {
    this.generation += 1;
    await this.running;
    this.forgotten(server);
  }

  private async fineTune(
    server: SequenceServer,
    readHistory: () => Promise<Int32Array>,
    options: AdaptOptions,
    generation: number,
  ): Promise<AdaptResult> {
    const check = (): void => {
      if (this.generation !== generation) throw cancelledByForget();
    };
    check();
    const epoch = await readForgetEpoch(this.db);
    const history = await readHistory();
    await this.ready(server);
    check();
    const started = performance.now();
    const model = adaptationKey(server);
    const run = await fineTune(server, history, {
      steps: options.steps ?? DEFAULTS.adapt.steps,
      lr: options.lr ?? DEFAULTS.adapt.lr,
      maxMs: options.maxMs ?? DEFAULTS.adapt.maxMs,
      betweenSteps: async () => {
        await yieldToInteractive();
        check();
      },
    });
    if (run.steps > 0) {
      const stored = await writeAdaptation(
        this.db,
        {
          userId: this.userId,
          model,
          weights: (await server.exportWeights()).slice().buffer,
          steps: run.steps,
          events: run.input.length,
          updatedAt: Date.now(),
        },
        epoch,
      );
      // A forget() in another tab committed while this run trained: drop what it learnt.
      if (!stored) {
        this.forgotten(server);
        throw cancelledByForget();
      }
    }
    const { steps, input, lossBefore, lossAfter } = run;
    return {
      steps,
      ms: steps === 0 ? 0 : Math.round(performance.now() - started),
      historyItems: input.length,
      lossBefore,
      lossAfter,
      stored: steps > 0,
      model,
    };
  }

  /** Drops this user's adapted weights (stored and in memory). */
  async reset(server: SequenceServer | undefined): Promise<void> {
    await this.running;
    if (!server) return;
    await deleteAdaptation(this.db, this.userId, adaptationKey(server));
    this.forgotten(server);
  }

  /** After forget(): the stored record is gone; serve the shipped weights again. */
  forgotten(server: SequenceServer | undefined): void {
    if (!server) return;
    server.resetWeights();
    this.applied.set(server, Promise.resolve());
  }
}
