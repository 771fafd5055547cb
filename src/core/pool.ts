/**
 * The worker pool: one per JS thread (module state), shared by every core of that thread, so a
 * process that makes hundreds of models keeps as many workers as its largest thread count needs.
 * Each worker keeps one instance of each attached core's module on that core's shared memory,
 * keyed by core id.
 *
 * Task protocol: one task board (a SharedArrayBuffer: Int32 words below, then f64 args). The
 * caller writes the task (core, kernel, args, how part p's args derive from them), opens it by
 * storing NEXT = tag(seq) | 0, publishes SEQ = seq, bumps WAKE and notifies. Then the caller and
 * the workers CLAIM parts: compare-exchange NEXT from tag | i to tag | i + 1 while i < PARTS,
 * run part i, add 1 to FINISHED. Parts are claimed, not assigned, so a worker that the OS has not
 * scheduled yet costs nothing: the caller runs the parts nobody took, and a late worker finds the
 * task closed (its tag differs, or the count is CLOSED). The caller joins by closing the task
 * (NEXT = tag | CLOSED) and waiting until FINISHED equals the parts claimed; only then may the
 * board be rewritten. Every part writes a disjoint slice with the one-thread summation order, so
 * who runs which part never changes a bit.
 * Errors: the first failing worker stores its index + 1 in ERROR and its message; the caller
 * throws it (naming the kernel) after the join. Both sides spin briefly before Atomics.wait (a
 * page's main thread never waits: it spins). Nothing is allocated per task.
 * Messages (attach/detach a core) bump the worker's POSTED word before postMessage, then WAKE:
 * the worker, blocked in its task loop, returns to its event loop until it has handled as many
 * messages as POSTED says.
 *
 * The worker code is a self-contained string (no imports): `eval: true` in Node, a Blob URL in
 * browsers, so no bundler needs to know about it. Node workers are unref'd: a process that trained
 * exits on its own.
 */

const SEQ = 0;
const WAKE = 1;
const NEXT = 2;
const FINISHED = 3;
const ERROR = 4;
const MESSAGE_LENGTH = 5;
const CORE = 6;
const KERNEL = 7;
/** 0: a `_part(..., part, parts)` kernel; 1: a kernel split into ranges of its count argument. */
const MODE = 8;
const ARGC = 9;
const WORKSPACE_ARG = 10;
const COUNT_ARG = 11;
const PARTS = 12;
const WORKERS = 13;
/** POSTED word of worker w: POSTED_BASE + w. */
const POSTED_BASE = 16;
const MAX_WORKERS = 240;
/** Part count in NEXT that no claim passes (parts are at most MAX_PARTS < CLOSED). */
const CLOSED = 255;
export const MAX_PARTS = 254;
export const MAX_ARGS = 16;
// f64 area: ARGS, then STRIDES (bytes one range unit moves each arg; 0: not moved), then CHUNK,
// UNITS, WORKSPACE_BASE, WORKSPACE_BYTES.
const F64_BYTE_OFFSET = (POSTED_BASE + MAX_WORKERS) * 4;
const F64_WORDS = 2 * MAX_ARGS + 4;
const MESSAGE_BYTE_OFFSET = F64_BYTE_OFFSET + F64_WORDS * 8;
const MESSAGE_CHARS = 480;
const BOARD_BYTES = MESSAGE_BYTE_OFFSET + MESSAGE_CHARS * 2;
const STRIDES = MAX_ARGS;
const CHUNK = 2 * MAX_ARGS;
const UNITS = CHUNK + 1;
const WORKSPACE_BASE = CHUNK + 2;
const WORKSPACE_BYTES = CHUNK + 3;
/**
 * Busy-wait iterations (Atomics.load) before blocking: about 2.5 ms here, longer than the gap
 * between two training steps (the loss read-back, callbacks, the next gather). With 20,000 (about
 * 0.1-0.2 ms) the worker fell asleep between an MLP's kernels and took 50-180 µs to wake, so the
 * caller ran both parts itself: mlp at batch 64 trained 0.82x as fast on 2 threads as on 1; with
 * 200,000, 1.43x; 1,000,000, 1.52x (bench/README.md, "spin"). A worker spins this long only after
 * its last task, then sleeps.
 */
const SPIN = 500_000;

/** Part p's args from the task on the board, into `out`; the same code runs in the workers (WORKER_SOURCE). */
const PART_ARGS = `function partArgs(p, f, out, ownWorkspace) {
  const argc = board[ARGC];
  for (let i = 0; i < argc; i++) out[i] = f[i];
  if (board[MODE] === 0) {
    out[argc] = p;
    out[argc + 1] = board[PARTS];
    if (ownWorkspace >= 0 && board[WORKSPACE_ARG] >= 0) out[board[WORKSPACE_ARG]] = f[WORKSPACE_BASE] + ownWorkspace * f[WORKSPACE_BYTES];
  } else {
    const first = p * f[CHUNK];
    for (let i = 0; i < argc; i++) if (f[STRIDES + i] !== 0 && out[i] !== 0) out[i] += first * f[STRIDES + i];
    out[board[COUNT_ARG]] = Math.min(f[CHUNK], f[UNITS] - first);
  }
}`;

const CONSTANTS = `const SEQ = ${SEQ}, WAKE = ${WAKE}, NEXT = ${NEXT}, FINISHED = ${FINISHED}, ERROR = ${ERROR}, MESSAGE_LENGTH = ${MESSAGE_LENGTH},
  CORE = ${CORE}, KERNEL = ${KERNEL}, MODE = ${MODE}, ARGC = ${ARGC}, WORKSPACE_ARG = ${WORKSPACE_ARG}, COUNT_ARG = ${COUNT_ARG},
  PARTS = ${PARTS}, WORKERS = ${WORKERS}, POSTED_BASE = ${POSTED_BASE}, CLOSED = ${CLOSED}, STRIDES = ${STRIDES}, CHUNK = ${CHUNK},
  UNITS = ${UNITS}, WORKSPACE_BASE = ${WORKSPACE_BASE}, WORKSPACE_BYTES = ${WORKSPACE_BYTES}, SPIN = ${SPIN}, MESSAGE_CHARS = ${MESSAGE_CHARS};`;

/** The worker: plain JS, run as is in a Node worker_thread or a browser Worker. */
const WORKER_SOURCE = `'use strict';
${CONSTANTS}
let port, board, f64, message, names, me, handled = 0, seen = 0;
const instances = new Map();
const out = new Float64Array(${MAX_ARGS + 2});
${PART_ARGS}
function abort(memory) {
  return (messagePtr, filePtr, line, column) => {
    const text = (ptr) => {
      if (!ptr) return '';
      const length = new Uint32Array(memory.buffer, ptr - 4, 1)[0] >>> 1;
      let s = '';
      for (const code of new Uint16Array(memory.buffer, ptr, length)) s += String.fromCharCode(code);
      return s;
    };
    throw new Error('abort: ' + text(messagePtr) + ' at ' + text(filePtr) + ':' + line + ':' + column);
  };
}
function work(seq) {
  if (me >= board[WORKERS]) return;
  const tag = (seq & 0xffffff) << 8;
  for (;;) {
    const next = Atomics.load(board, NEXT);
    if ((next & ~255) !== tag || (next & 255) >= board[PARTS]) return;
    if (Atomics.compareExchange(board, NEXT, next, next + 1) !== next) continue;
    try {
      const exports = instances.get(board[CORE]);
      if (exports === undefined) throw new Error('worker ' + (me + 1) + ' has no instance of core ' + board[CORE]);
      partArgs(next & 255, f64, out, me);
      exports[names[board[KERNEL]]](out[0], out[1], out[2], out[3], out[4], out[5], out[6], out[7], out[8], out[9], out[10], out[11], out[12], out[13], out[14], out[15], out[16], out[17]);
    } catch (error) {
      if (Atomics.compareExchange(board, ERROR, 0, me + 1) === 0) {
        const text = String(error && error.message || error).slice(0, MESSAGE_CHARS);
        for (let i = 0; i < text.length; i++) message[i] = text.charCodeAt(i);
        board[MESSAGE_LENGTH] = text.length;
      }
    }
    Atomics.add(board, FINISHED, 1);
    Atomics.notify(board, FINISHED);
  }
}
function loop() {
  for (;;) {
    if (Atomics.load(board, POSTED_BASE + me) !== handled) return;
    const seq = Atomics.load(board, SEQ);
    if (seq !== seen) {
      seen = seq;
      work(seq);
      continue;
    }
    const wake = Atomics.load(board, WAKE);
    if (Atomics.load(board, POSTED_BASE + me) !== handled || Atomics.load(board, SEQ) !== seen) continue;
    let spins = 0;
    while (Atomics.load(board, WAKE) === wake && ++spins < SPIN);
    if (spins === SPIN) Atomics.wait(board, WAKE, wake);
  }
}
function onMessage(data) {
  if (data.type === 'init') {
    board = new Int32Array(data.board, 0, ${F64_BYTE_OFFSET / 4});
    f64 = new Float64Array(data.board, ${F64_BYTE_OFFSET}, ${F64_WORDS});
    message = new Uint16Array(data.board, ${MESSAGE_BYTE_OFFSET}, MESSAGE_CHARS);
    names = data.names;
    me = data.index;
    seen = Atomics.load(board, SEQ);
  } else {
    handled++;
    if (data.type === 'attach') {
      try {
        const instance = new WebAssembly.Instance(data.module, { env: { memory: data.memory, abort: abort(data.memory) } });
        instances.set(data.id, instance.exports);
        port.postMessage({ type: 'attached', id: data.id });
      } catch (error) {
        port.postMessage({ type: 'attached', id: data.id, error: String(error && error.message || error) });
      }
    } else if (data.type === 'detach') {
      instances.delete(data.id);
    }
  }
  if (Atomics.load(board, POSTED_BASE + me) === handled) loop();
}
if (typeof self === 'object' && typeof self.postMessage === 'function') {
  port = self;
  self.onmessage = (event) => onMessage(event.data);
} else {
  // import(), not require: Node runs an eval worker as ESM when the parent has --input-type=module.
  import('node:worker_threads').then((threads) => {
    port = threads.parentPort;
    port.on('message', onMessage);
  });
}
`;

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

type Kernel = (...args: number[]) => unknown;

const isNode = typeof process === 'object' && typeof process.versions?.node === 'string';
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

export class WorkerPool {
  private readonly workers: PoolWorker[] = [];
  private readonly attached = new Map<number, number>();
  private readonly blocking = canBlock();
  private board!: Int32Array;
  private f64!: Float64Array;
  private message!: Uint16Array;
  /** Part args of the calling thread (as `out` in the workers). */
  private readonly out = new Float64Array(MAX_ARGS + 2);
  private seq = 0;
  private pendingAttaches = 0;
  private nextId = 1;
  private names: readonly string[] = [];
  private readonly finalizer = new FinalizationRegistry<number>((id) => this.detach(id));
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
    const buffer = new SharedArrayBuffer(BOARD_BYTES);
    this.board = new Int32Array(buffer, 0, F64_BYTE_OFFSET / 4);
    this.f64 = new Float64Array(buffer, F64_BYTE_OFFSET, F64_WORDS);
    this.message = new Uint16Array(buffer, MESSAGE_BYTE_OFFSET, MESSAGE_CHARS);
    this.board[NEXT] = CLOSED;
  }

  /** Workers in the pool (across every core). */
  get size(): number {
    return this.workers.length;
  }

  /**
   * Gives `workers` workers an instance of `module` on `memory`; returns the core's id. `owner`
   * (the core) is watched: once it is garbage-collected, the workers drop their instances too.
   */
  async attach(
    module: WebAssembly.Module,
    memory: WebAssembly.Memory,
    workers: number,
    names: readonly string[],
    owner: object,
  ): Promise<number> {
    if (workers > MAX_WORKERS) throw new RangeError(`threads: at most ${MAX_WORKERS + 1}, got ${workers + 1}`);
    if (this.names.length === 0) this.names = names;
    else if (this.names !== names) throw new Error('internal: one kernel table per pool');
    this.pendingAttaches++;
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
      this.finalizer.register(owner, id, owner);
      return id;
    } finally {
      this.pendingAttaches--;
    }
  }

  /** Drops the core's instances from the workers; ends every worker once no core is attached. */
  detach(id: number, owner?: object): void {
    if (owner !== undefined) this.finalizer.unregister(owner);
    const workers = this.attached.get(id);
    if (workers === undefined) return;
    this.attached.delete(id);
    if (this.attached.size === 0 && this.pendingAttaches === 0) {
      for (const worker of this.workers) worker.terminate();
      this.workers.length = 0;
      this.newBoard();
      return;
    }
    for (let w = 0; w < workers; w++) this.post(w, { type: 'detach', id });
  }

  private post(w: number, message: unknown): void {
    Atomics.add(this.board, POSTED_BASE + w, 1);
    this.workers[w]!.post(message);
    Atomics.add(this.board, WAKE, 1);
    Atomics.notify(this.board, WAKE);
  }

  /** The task's args (the whole call's), to fill before `run`. */
  get args(): Float64Array {
    return this.f64;
  }

  /** Bytes one range unit moves arg i (0: the arg does not move), to fill before a range `run`. */
  setStride(arg: number, bytes: number): void {
    this.f64[STRIDES + arg] = bytes;
  }

  /**
   * Runs `parts` parts of `kernel` (index into the names given at attach) on the calling thread and
   * up to `workers` workers; `local` is the calling thread's function of the same kernel. Mode 0:
   * `_part` kernels (part and parts appended after `argc` args; the workers put their own workspace,
   * at workspaceBase + w · workspaceBytes, in arg `workspaceArg`). Mode 1: ranges of `chunk` units
   * of arg `countArg` (of `units`), every arg with a stride moved by the range's first unit.
   * @throws Error naming `kernelName` when a worker's part failed (after every part has ended).
   */
  run(
    core: number,
    kernel: number,
    local: Kernel,
    kernelName: string,
    workers: number,
    parts: number,
    mode: 0 | 1,
    argc: number,
    workspaceArg: number,
    countArg: number,
    chunk: number,
    units: number,
    workspaceBase: number,
    workspaceBytes: number,
  ): void {
    const board = this.board;
    const f = this.f64;
    this.dispatches++;
    const seq = (this.seq = (this.seq + 1) & 0xffffff);
    const tag = seq << 8;
    board[CORE] = core;
    board[KERNEL] = kernel;
    board[MODE] = mode;
    board[ARGC] = argc;
    board[WORKSPACE_ARG] = workspaceArg;
    board[COUNT_ARG] = countArg;
    board[PARTS] = parts;
    board[WORKERS] = workers;
    board[ERROR] = 0;
    board[FINISHED] = 0;
    f[CHUNK] = chunk;
    f[UNITS] = units;
    f[WORKSPACE_BASE] = workspaceBase;
    f[WORKSPACE_BYTES] = workspaceBytes;
    Atomics.store(board, NEXT, tag);
    Atomics.store(board, SEQ, seq);
    Atomics.add(board, WAKE, 1);
    Atomics.notify(board, WAKE);

    let failure: unknown;
    const out = this.out;
    try {
      while (this.callerClaims) {
        const next = Atomics.load(board, NEXT);
        if ((next & 255) >= parts) break;
        if (Atomics.compareExchange(board, NEXT, next, next + 1) !== next) continue;
        this.partArgs(next & 255, out);
        local(
          out[0]!,
          out[1]!,
          out[2]!,
          out[3]!,
          out[4]!,
          out[5]!,
          out[6]!,
          out[7]!,
          out[8]!,
          out[9]!,
          out[10]!,
          out[11]!,
          out[12]!,
          out[13]!,
          out[14]!,
          out[15]!,
          out[16]!,
          out[17]!,
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
      throw new Error(`${kernelName} failed on the calling thread: ${(failure as Error)?.message ?? String(failure)}`, { cause: failure });
    const failed = board[ERROR]!;
    if (failed !== 0) {
      const text = String.fromCharCode(...this.message.subarray(0, board[MESSAGE_LENGTH]));
      throw new Error(`${kernelName} failed in worker ${failed}: ${text}`);
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
      if (this.blocking && ++spins > SPIN) Atomics.wait(board, FINISHED, finished);
    }
  }

  /** Part p's args for the calling thread (its workspace is the call's own). Mirrors PART_ARGS. */
  private partArgs(p: number, out: Float64Array): void {
    const board = this.board;
    const f = this.f64;
    const argc = board[ARGC]!;
    for (let i = 0; i < argc; i++) out[i] = f[i]!;
    if (board[MODE] === 0) {
      out[argc] = p;
      out[argc + 1] = board[PARTS]!;
    } else {
      const first = p * f[CHUNK]!;
      for (let i = 0; i < argc; i++) if (f[STRIDES + i] !== 0 && out[i] !== 0) out[i]! += first * f[STRIDES + i]!;
      out[board[COUNT_ARG]!] = Math.min(f[CHUNK]!, f[UNITS]! - first);
    }
  }
}

function wireReplies(worker: PoolWorker, data: { type: string; id: number; error?: string }): void {
  if (data.type !== 'attached') return;
  const resolve = worker.attaching.get(data.id);
  worker.attaching.delete(data.id);
  resolve?.(data.error);
}

async function spawnNodeWorker(): Promise<PoolWorker> {
  const { Worker } = await import('node:worker_threads');
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

/** This thread's pool, created on first use. */
export function workerPool(): WorkerPool {
  shared ??= new WorkerPool(isNode ? spawnNodeWorker : spawnWebWorker);
  return shared;
}
