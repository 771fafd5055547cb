/**
 * The worker pool: one per JS thread (module state), shared by every core of that thread, so a
 * process that makes hundreds of models keeps as many workers as its largest thread count needs.
 * This is the calling thread's side of the task board (board.ts: the protocol; worker-source.ts:
 * the workers' side). Both sides spin briefly before Atomics.wait (a page's main thread never
 * waits: it spins). Node workers are unref'd: a process that trained exits on its own.
 */
import {
  BOARD_BYTES,
  boardViews,
  CLOSED,
  CORE,
  ERROR,
  FINISHED,
  KERNEL,
  MAX_ARGS,
  MAX_PARTS,
  MAX_WORKERS,
  MESSAGE_LENGTH,
  NEXT,
  PART_ARGS,
  PARTS,
  POSTED_BASE,
  SEQ,
  SPIN,
  SPIN_BUDGET,
  STATE_BASE,
  JOIN_SPIN,
  QUIET,
  WAKE,
  WORKERS,
  WORKSPACE_ARG,
  WORKSPACE_BASE,
  WORKSPACE_BYTES,
} from './board.js';
import { importNode, isNode } from '../util/node.js';
import { WORKER_SOURCE } from './worker-source.js';

export { MAX_ARGS, MAX_PARTS } from './board.js';

/** A kernel function: the wasm export (or its `_part` form) of the calling thread. */
export type Kernel = (...args: number[]) => unknown;

/**
 * One kernel call spread over the pool: what `run` needs besides the board. A record per kernel
 * (threads.ts makes one per core and kernel) whose `parts` and part args change per call.
 */
export interface Task {
  /** The core's id in the pool (from `attach`). */
  readonly core: number;
  /** Index into the kernel names given at attach. */
  readonly kernel: number;
  /** The kernel's name, for errors. */
  readonly name: string;
  /** The calling thread's function that runs one part (the `_part` export, or the kernel for ranges). */
  readonly local: Kernel;
  /** Workers that may take parts: the core's threads − 1. */
  readonly workers: number;
  /** The arg a worker replaces by its own workspace, or −1. */
  readonly workspaceArg: number;
  /** Byte address of worker 0's workspace; worker w's is at base + w · bytes. */
  readonly workspaceBase: number;
  readonly workspaceBytes: number;
  /** Parts of this call: 2 .. MAX_PARTS. */
  parts: number;
  /** Writes part p's args into `args` from index `at` on (up to MAX_ARGS of them). */
  writeArgs(p: number, args: Float64Array, at: number): void;
}

interface PoolWorker {
  post(message: unknown): void;
  terminate(): void;
  ref(): void;
  unref(): void;
  /** Resolvers of pending `attached` replies, by core id. */
  attaching: Map<number, (error: string | undefined) => void>;
  /** Why the worker ended, once it has (an uncaught error, or it exited): it is replaced at the next attach. */
  ended?: string;
}

interface NodeWorkerLike {
  postMessage(message: unknown): void;
  on(event: string, listener: (value: never) => void): void;
  terminate(): Promise<number>;
  ref(): void;
  unref(): void;
}

const inBrowserWindow = !isNode && typeof window === 'object';

/** True when this thread may block in Atomics.wait (Node, workers; not a page's main thread). */
function canBlock(): boolean {
  if (inBrowserWindow) return false;
  try {
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 1, 0);
    return true;
  } catch {
    return false;
  }
}

/**
 * How long the workers outlive the last core detached from them: a loop that makes and disposes a
 * core per model keeps its workers (spawning one takes about 0.1 s) instead of ending and starting
 * them every time.
 */
const IDLE_MS = 500;

export class WorkerPool {
  private readonly workers: PoolWorker[] = [];
  private readonly attached = new Map<number, number>();
  private readonly blocking = canBlock();
  private board!: Int32Array;
  private f64!: Float64Array;
  private message!: Uint16Array;
  private seq = 0;
  /** The core whose task the workers ran last (they may be spinning for its next one); 0: none. */
  private hotCore = 0;
  private pendingAttaches = 0;
  private nextId = 1;
  private names: readonly string[] = [];
  private readonly finalizer = new FinalizationRegistry<number>((id) => this.detach(id));
  private idleTimer: ReturnType<typeof setTimeout> | undefined;
  /** @internal A worker's spin after a task, in iterations (tests raise it to see who spins; SPIN). */
  get spinBudget(): number {
    return this.board === undefined ? SPIN : this.board[SPIN_BUDGET]!;
  }

  set spinBudget(iterations: number) {
    Atomics.store(this.board, SPIN_BUDGET, iterations);
  }

  /** @internal What each worker does now: 'awake' (running or about to), 'spinning' or 'sleeping'. */
  workerStates(): ('awake' | 'spinning' | 'sleeping')[] {
    return this.workers.map((_, w) => (['awake', 'spinning', 'sleeping'] as const)[Atomics.load(this.board, STATE_BASE + w)]!);
  }

  /** Tasks run on the board so far, for tests and benchmarks. */
  dispatches = 0;
  /** @internal False leaves every part to the workers (tests use it to make a worker's failure certain). */
  callerClaims = true;

  constructor(private readonly spawn: () => Promise<PoolWorker>) {
    this.newBoard();
  }

  /**
   * A fresh task board. Each generation of workers gets its own: a terminated worker may run on
   * for a moment, and must not see (or claim) the tasks of the next generation.
   */
  private newBoard(): void {
    // Read before the board is replaced: a fresh board's words are 0 (no spin at all).
    const budget = this.spinBudget;
    const views = boardViews(new SharedArrayBuffer(BOARD_BYTES));
    this.board = views.words;
    this.f64 = views.f64;
    this.message = views.message;
    this.board[NEXT] = CLOSED;
    this.board[SPIN_BUDGET] = budget;
  }

  /** Workers in the pool (across every core). */
  get size(): number {
    return this.workers.length;
  }

  /** Gives `workers` workers an instance of `module` on `memory`; returns the core's id. */
  async attach(module: WebAssembly.Module, memory: WebAssembly.Memory, workers: number, names: readonly string[]): Promise<number> {
    if (workers > MAX_WORKERS) throw new RangeError(`threads: at most ${MAX_WORKERS + 1}, got ${workers + 1}`);
    if (this.names.length === 0) this.names = names;
    else if (this.names !== names) throw new Error('internal: one kernel table per pool');
    this.pendingAttaches++;
    clearTimeout(this.idleTimer);
    this.idleTimer = undefined;
    try {
      const live = (w: number) => this.workers[w] !== undefined && this.workers[w].ended === undefined;
      for (let w = 0; w < workers; w++) {
        if (live(w)) continue;
        const worker = await this.spawn();
        if (live(w)) {
          worker.terminate(); // a concurrent attach filled this slot while we spawned
          continue;
        }
        this.workers[w]?.terminate();
        // A fresh worker has handled no message: its POSTED word restarts (init itself is not counted).
        Atomics.store(this.board, POSTED_BASE + w, 0);
        worker.post({ type: 'init', board: this.board.buffer, names: this.names, index: w });
        this.workers[w] = worker;
      }
      const id = this.nextId++;
      const replies = this.workers.slice(0, workers).map(
        (worker, w) =>
          new Promise<string | undefined>((resolve) => {
            if (worker.ended !== undefined) return resolve(worker.ended);
            worker.attaching.set(id, resolve);
            worker.ref(); // an unref'd worker would let Node exit before it replies
            this.post(w, { type: 'attach', id, module, memory });
          }),
      );
      const errors = await Promise.all(replies);
      // Only workers no attach waits on: the others must keep Node alive until they reply.
      for (const worker of this.workers) if (worker.attaching.size === 0) worker.unref();
      this.attached.set(id, workers);
      const failed = errors.find((error) => error !== undefined);
      if (failed !== undefined) {
        this.detach(id);
        throw new Error(`fmnist-wasm: a worker could not instantiate the core: ${failed}`);
      }
      return id;
    } finally {
      this.pendingAttaches--;
      if (this.attached.size === 0 && this.pendingAttaches === 0) this.endWhenIdle();
    }
  }

  /** Detaches core `id` once `owner` (the core) is garbage-collected, if it was not detached before. */
  watch(owner: object, id: number): void {
    this.finalizer.register(owner, id, owner);
  }

  /** Drops the core's instances from the workers; ends every worker once no core has been attached for IDLE_MS. */
  detach(id: number, owner?: object): void {
    if (owner !== undefined) this.finalizer.unregister(owner);
    const workers = this.attached.get(id);
    if (workers === undefined) return;
    this.attached.delete(id);
    for (let w = 0; w < workers; w++) if (this.workers[w] !== undefined) this.post(w, { type: 'detach', id });
    if (this.attached.size === 0 && this.pendingAttaches === 0) this.endWhenIdle();
  }

  /** Ends every worker IDLE_MS from now unless a core attaches before. */
  private endWhenIdle(): void {
    clearTimeout(this.idleTimer);
    this.idleTimer = setTimeout(() => {
      this.idleTimer = undefined;
      if (this.attached.size > 0 || this.pendingAttaches > 0) return;
      for (const worker of this.workers) worker.terminate();
      this.workers.length = 0;
      this.newBoard();
    }, IDLE_MS);
    // The timer must not keep a Node process alive (the workers do not either).
    (this.idleTimer as { unref?: () => void }).unref?.();
  }

  private post(w: number, message: unknown): void {
    Atomics.add(this.board, POSTED_BASE + w, 1);
    this.workers[w]!.post(message);
    Atomics.add(this.board, WAKE, 1);
    Atomics.notify(this.board, WAKE);
  }

  /**
   * Runs the task's parts on the calling thread and up to `task.workers` workers, whoever claims
   * each part first, and returns once every part has ended.
   * @throws Error naming the kernel when a part failed (after every part has ended).
   */
  run(task: Task): void {
    const { parts } = task;
    if (!(Number.isInteger(parts) && parts >= 2 && parts <= MAX_PARTS)) throw new Error(`internal: ${task.name} split into ${parts} parts`);
    const board = this.board;
    const f = this.f64;
    this.dispatches++;
    this.seq = (this.seq + 1) & 0xffffff;
    const seq = this.seq;
    this.hotCore = task.core;
    const tag = seq << 8;
    board[CORE] = task.core;
    board[KERNEL] = task.kernel;
    board[PARTS] = parts;
    board[WORKERS] = task.workers;
    board[WORKSPACE_ARG] = task.workspaceArg;
    board[ERROR] = 0;
    board[FINISHED] = 0;
    f[WORKSPACE_BASE] = task.workspaceBase;
    f[WORKSPACE_BYTES] = task.workspaceBytes;
    for (let p = 0; p < parts; p++) task.writeArgs(p, f, PART_ARGS + p * MAX_ARGS);
    Atomics.store(board, NEXT, tag);
    Atomics.store(board, SEQ, seq);
    Atomics.add(board, WAKE, 1);
    Atomics.notify(board, WAKE);

    let failure: unknown;
    const local = task.local;
    try {
      while (this.callerClaims) {
        const next = Atomics.load(board, NEXT);
        if ((next & 255) >= parts) break;
        if (Atomics.compareExchange(board, NEXT, next, next + 1) !== next) continue;
        const at = PART_ARGS + (next & 255) * MAX_ARGS;
        local(
          f[at]!,
          f[at + 1]!,
          f[at + 2]!,
          f[at + 3]!,
          f[at + 4]!,
          f[at + 5]!,
          f[at + 6]!,
          f[at + 7]!,
          f[at + 8]!,
          f[at + 9]!,
          f[at + 10]!,
          f[at + 11]!,
          f[at + 12]!,
          f[at + 13]!,
          f[at + 14]!,
          f[at + 15]!,
        );
        Atomics.add(board, FINISHED, 1);
      }
    } catch (error) {
      failure = error;
      Atomics.add(board, FINISHED, 1);
    }
    // Join: close the task, then wait for the parts the workers claimed before it closed.
    if (!this.callerClaims) this.awaitFinished(parts);
    this.awaitFinished(Math.min(Atomics.exchange(board, NEXT, tag | CLOSED) & 255, parts));
    if (failure !== undefined)
      throw new Error(`${task.name} failed on the calling thread: ${(failure as Error)?.message ?? String(failure)}`, { cause: failure });
    const failed = board[ERROR]!;
    if (failed !== 0) {
      const text = String.fromCharCode(...this.message.subarray(0, board[MESSAGE_LENGTH]));
      throw new Error(`${task.name} failed in worker ${failed}: ${text}`);
    }
  }

  /**
   * Spins, then blocks, until FINISHED reaches `count`. The value waited on is the value just
   * checked: loading it again for the wait could miss the last part's notify and sleep forever.
   */
  private awaitFinished(count: number): void {
    const board = this.board;
    let spins = 0;
    for (;;) {
      const finished = Atomics.load(board, FINISHED);
      if (finished >= count) return;
      if (this.blocking && ++spins > JOIN_SPIN) Atomics.wait(board, FINISHED, finished);
    }
  }

  /**
   * Core `core` (an attached core's id, or 0 for a core of one thread) runs on the calling thread
   * alone: workers spinning for another core's next task sleep now instead of taking the CPU from it.
   */
  quiet(core: number): void {
    if (this.hotCore === 0 || this.hotCore === core) return;
    this.hotCore = 0;
    Atomics.store(this.board, QUIET, this.seq);
  }
}

function wireReplies(worker: PoolWorker, data: { type: string; id: number; error?: string }): void {
  if (data.type !== 'attached') return;
  const resolve = worker.attaching.get(data.id);
  worker.attaching.delete(data.id);
  resolve?.(data.error);
}

async function spawnNodeWorker(): Promise<PoolWorker> {
  const { Worker } = await importNode('worker_threads');
  const nodeWorker = new Worker(WORKER_SOURCE, { eval: true }) as unknown as NodeWorkerLike;
  const worker: PoolWorker = {
    post: (message) => nodeWorker.postMessage(message),
    terminate: () => void nodeWorker.terminate(),
    ref: () => nodeWorker.ref(),
    unref: () => nodeWorker.unref(),
    attaching: new Map(),
  };
  nodeWorker.on('message', (data: never) => wireReplies(worker, data));
  nodeWorker.on('error', (error: never) => workerEnded(worker, error));
  nodeWorker.on('exit', () => workerEnded(worker, 'the worker exited'));
  nodeWorker.unref();
  return worker;
}

let blobUrl: string | undefined;

async function spawnWebWorker(): Promise<PoolWorker> {
  blobUrl ??= URL.createObjectURL(new Blob([WORKER_SOURCE], { type: 'text/javascript' }));
  const webWorker = new Worker(blobUrl);
  const worker: PoolWorker = {
    post: (message) => webWorker.postMessage(message),
    terminate: () => webWorker.terminate(),
    ref: () => {},
    unref: () => {},
    attaching: new Map(),
  };
  webWorker.onmessage = (event: MessageEvent) => wireReplies(worker, event.data);
  webWorker.onerror = (event: ErrorEvent) => workerEnded(worker, event.message);
  return worker;
}

/**
 * A worker that ended fails the attaches waiting on it instead of hanging them, and is marked so
 * that later attaches replace it rather than wait on it.
 */
function workerEnded(worker: PoolWorker, error: unknown): void {
  worker.ended ??= String((error as Error)?.message ?? error);
  for (const resolve of worker.attaching.values()) resolve(worker.ended);
  worker.attaching.clear();
}

let shared: WorkerPool | undefined;

/** `quiet` of this thread's pool, if it has one: a core of one thread calls it without making a pool. */
export function quietWorkers(core: number): void {
  shared?.quiet(core);
}

/** This thread's pool, created on first use. */
export function workerPool(): WorkerPool {
  shared ??= new WorkerPool(isNode ? spawnNodeWorker : spawnWebWorker);
  return shared;
}
