/**
 * Owns the engine worker on the page side: starts it lazily, puts a timeout on
 * every call, notices when the worker dies (error event, or the release of the
 * Web Lock the worker holds for its whole life), rejects every pending call at
 * once when it does — comlink leaves them hanging — and starts a fresh worker on
 * the next call.
 */
import { proxy, releaseProxy, wrap, type Remote } from 'comlink';
import { TastebudError, isDomException, toTastebudError } from '../common/errors';
import { installErrorTransfer } from '../common/transfer';
import type { EngineApi, EngineConfig, InitResult } from '../common/protocol';
import type { ProgressEvent } from '../common/types';

type Method = Exclude<keyof EngineApi, 'init'>;
type Result<M extends Method> = Awaited<ReturnType<EngineApi[M]>>;

interface RunningWorker {
  worker: Worker;
  remote: Remote<EngineApi>;
  ready: Promise<InitResult>;
  pending: Set<(err: TastebudError) => void>;
  lockAbort: AbortController;
  dead: boolean;
}

export interface WorkerClientOptions {
  createWorker: () => Worker;
  config: EngineConfig;
  timeoutMs: number;
  onProgress?: (event: ProgressEvent) => void;
}

const PING_TIMEOUT_MS = 2_000;

/** Calls that write: after a timeout they may still commit in the worker. */
const WRITES: ReadonlySet<Method> = new Set<Method>([
  'track',
  'importData',
  'upsertItems',
  'removeItems',
  'forget',
  'adapt',
  'resetAdaptation',
]);

function timeoutError(method: Method, timeoutMs: number): TastebudError {
  const what = `${method}() did not finish within ${timeoutMs} ms`;
  if (!WRITES.has(method)) return new TastebudError('timeout', `${what}; raise timeoutMs or make the call smaller.`);
  // One meaning for every write: the worker may still commit it, and repeating it is safe.
  return new TastebudError(
    'timeout',
    `${what}: it may or may not have been stored. Retrying is safe: events with an id are stored once, imports skip what is already there, the other writes are idempotent.`,
  );
}

/** Whatever crosses back from the worker as a non-TastebudError; a value that cannot be cloned is the caller's. */
function asTastebudError(err: unknown): TastebudError {
  if (isDomException(err, 'DataCloneError')) {
    return new TastebudError('invalid-argument', `An argument cannot be sent to the worker (${(err as Error).message}); pass plain data.`, {
      cause: err,
    });
  }
  return toTastebudError(err);
}

function withTimeout<T>(promise: Promise<T>, ms: number, onTimeout: () => TastebudError): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(onTimeout()), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

export class WorkerClient {
  private running: RunningWorker | null = null;
  private disposed = false;
  /** Set when dispose() starts: calls made from then on reject `disposed` instead of racing the shutdown. */
  private disposing = false;
  private disposal: Promise<void> | null = null;
  private starts = 0;

  constructor(private readonly options: WorkerClientOptions) {
    installErrorTransfer();
  }

  /** How many times a fresh worker replaced one that died. */
  get restarts(): number {
    return Math.max(0, this.starts - 1);
  }

  /** Starts the worker if needed and resolves once its engine is initialised. */
  async start(): Promise<InitResult> {
    if (this.disposed || this.disposing)
      throw new TastebudError('disposed', 'This recommender was disposed; create a new one with createRecommender().');
    if (!this.running) this.running = this.spawn();
    return this.track(this.running, this.running.ready);
  }

  call<M extends Method>(method: M, ...args: Parameters<EngineApi[M]>): Promise<Result<M>> {
    return this.callWithin(this.options.timeoutMs, method, ...args);
  }

  /** Like call(), with its own timeout (for calls whose length the caller chose, e.g. adapt({ maxMs })). */
  async callWithin<M extends Method>(timeoutMs: number, method: M, ...args: Parameters<EngineApi[M]>): Promise<Result<M>> {
    await this.start();
    const running = this.running;
    if (!running) throw new TastebudError('worker-crashed', 'The tastebud worker stopped while starting; try again.');
    const fn = running.remote[method] as unknown as (...a: Parameters<EngineApi[M]>) => Promise<Result<M>>;
    let sent: Promise<Result<M>>;
    try {
      sent = fn(...args);
    } catch (err) {
      throw asTastebudError(err);
    }
    const call = this.track(running, sent).catch((err: unknown) => {
      throw asTastebudError(err);
    });
    return withTimeout(call, timeoutMs, () => {
      void this.checkAlive(running);
      return timeoutError(method, timeoutMs);
    });
  }

  /** A second dispose() waits for the first. */
  dispose(): Promise<void> {
    this.disposal ??= this.shutdown();
    return this.disposal;
  }

  private async shutdown(): Promise<void> {
    this.disposing = true;
    const running = this.running;
    // Stop watching first: the worker ending now is expected, not a crash.
    running?.lockAbort.abort();
    if (running && !running.dead) {
      try {
        await withTimeout(running.remote.dispose(), PING_TIMEOUT_MS, () => new TastebudError('timeout', 'dispose timed out'));
      } catch {
        // The worker is terminated below either way.
      }
    }
    this.disposed = true;
    if (running) this.kill(running, new TastebudError('disposed', 'The recommender was disposed while this call was running.'));
  }

  private spawn(): RunningWorker {
    this.starts += 1;
    const worker = this.options.createWorker();
    const remote = wrap<EngineApi>(worker);
    const lockName = `tastebud-worker-${Date.now()}-${Math.random().toString(36).slice(2)}`;
    const running: RunningWorker = {
      worker,
      remote,
      pending: new Set(),
      lockAbort: new AbortController(),
      dead: false,
      ready: Promise.resolve({ backend: 'cpu' }),
    };
    worker.addEventListener('error', (event) => {
      event.preventDefault();
      this.crash(running, `the worker failed: ${event.message || 'script error (could the worker script not load?)'}`);
    });
    const { onProgress } = this.options;
    const config: EngineConfig = { ...this.options.config, lifeLockName: lockName };
    running.ready = withTimeout(
      remote.init(config, onProgress ? proxy(onProgress) : undefined),
      this.options.timeoutMs,
      () => new TastebudError('timeout', `The tastebud worker did not start within ${this.options.timeoutMs} ms.`),
    ).then(
      (result) => {
        this.watchLife(running, lockName);
        return result;
      },
      (err: unknown) => {
        // A worker that failed to initialise is useless; the next call starts a fresh one.
        this.kill(running, null);
        throw err;
      },
    );
    return running;
  }

  private watchLife(running: RunningWorker, lockName: string): void {
    const locks = typeof navigator !== 'undefined' ? navigator.locks : undefined;
    if (!locks) return;
    // Granted only once the worker's own hold on this lock ends, i.e. when it dies.
    locks
      .request(lockName, { signal: running.lockAbort.signal }, () => {
        this.crash(running, 'the worker stopped unexpectedly');
      })
      .catch(() => {
        /* aborted: we stopped the worker ourselves */
      });
  }

  private track<T>(running: RunningWorker, promise: Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const onCrash = (err: TastebudError): void => reject(err);
      running.pending.add(onCrash);
      promise.then(resolve, reject).finally(() => running.pending.delete(onCrash));
    });
  }

  private async checkAlive(running: RunningWorker): Promise<void> {
    if (running.dead) return;
    try {
      await withTimeout(running.remote.ping(), PING_TIMEOUT_MS, () => new TastebudError('timeout', 'ping'));
    } catch {
      this.crash(running, `the worker did not answer a ping within ${PING_TIMEOUT_MS} ms`);
    }
  }

  private crash(running: RunningWorker, why: string): void {
    if (running.dead) return;
    this.kill(
      running,
      new TastebudError(
        'worker-crashed',
        `The tastebud worker crashed (${why}); the call was not completed. The next call starts a fresh worker.`,
      ),
    );
  }

  private kill(running: RunningWorker, err: TastebudError | null): void {
    if (running.dead) return;
    running.dead = true;
    if (this.running === running) this.running = null;
    running.lockAbort.abort();
    try {
      running.remote[releaseProxy]();
    } catch {
      /* already gone */
    }
    running.worker.terminate();
    if (err) for (const reject of [...running.pending]) reject(err);
    running.pending.clear();
  }
}
