/**
 * The worker pool: one per JS thread (module state), shared by every core of that thread, so a
 * process that makes hundreds of models keeps as many workers as its largest thread count needs.
 * Worker w computes part w + 1 of a split kernel (the caller computes part 0); it keeps one
 * instance of each attached core's module on that core's shared memory, keyed by core id.
 *
 * Task protocol (per worker, one SharedArrayBuffer `control`, Int32 words below + f64 args):
 *   the caller writes CORE, KERNEL and the args, then SEQ += 1, then WAKE += 1 and notifies WAKE;
 *   the worker runs the kernel and stores DONE = SEQ (and STATUS, an error text on failure), then
 *   notifies DONE. A posted message (attach/detach a core) bumps POSTED before postMessage and
 *   then WAKE: the worker, blocked in its task loop, returns to its event loop until it has handled
 *   as many messages as POSTED says, then re-enters the loop. Both sides spin briefly before
 *   Atomics.wait (a page's main thread never waits: it spins). Nothing is allocated per task.
 *
 * The worker code is a self-contained string (no imports): `eval: true` in Node, a Blob URL in
 * browsers, so no bundler needs to know about it. Node workers are unref'd: a process that trained
 * exits on its own.
 */

const SEQ = 0;
const DONE = 1;
const WAKE = 2;
const POSTED = 3;
const CORE = 4;
const KERNEL = 5;
const STATUS = 6;
const MESSAGE_LENGTH = 7;
const ARGS_BYTE_OFFSET = 64;
export const MAX_ARGS = 16;
const MESSAGE_BYTE_OFFSET = ARGS_BYTE_OFFSET + MAX_ARGS * 8;
const MESSAGE_CHARS = 480;
const CONTROL_BYTES = MESSAGE_BYTE_OFFSET + MESSAGE_CHARS * 2;
/** Busy-wait iterations (Atomics.load) before blocking: about 50-100 µs here, longer than a dispatch gap inside a step. */
const SPIN = 20000;

/** The worker: plain JS, run as is in a Node worker_thread or a browser Worker. */
const WORKER_SOURCE = `'use strict';
const SEQ = ${SEQ}, DONE = ${DONE}, WAKE = ${WAKE}, POSTED = ${POSTED}, CORE = ${CORE}, KERNEL = ${KERNEL}, STATUS = ${STATUS}, MESSAGE_LENGTH = ${MESSAGE_LENGTH};
const SPIN = ${SPIN}, MESSAGE_CHARS = ${MESSAGE_CHARS};
let port;
const instances = new Map();
let control, args, message, names, handled = 0, done = 0;
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
function run() {
  const exports = instances.get(control[CORE]);
  const name = names[control[KERNEL]];
  try {
    if (exports === undefined) throw new Error('worker has no instance of core ' + control[CORE]);
    exports[name](args[0], args[1], args[2], args[3], args[4], args[5], args[6], args[7], args[8], args[9], args[10], args[11], args[12], args[13], args[14], args[15]);
    control[STATUS] = 0;
  } catch (error) {
    const text = String(error && error.message || error).slice(0, MESSAGE_CHARS);
    for (let i = 0; i < text.length; i++) message[i] = text.charCodeAt(i);
    control[MESSAGE_LENGTH] = text.length;
    control[STATUS] = 1;
  }
}
function loop() {
  for (;;) {
    if (Atomics.load(control, POSTED) !== handled) return;
    const seq = Atomics.load(control, SEQ);
    if (seq !== done) {
      run();
      done = seq;
      Atomics.store(control, DONE, seq);
      Atomics.notify(control, DONE);
      continue;
    }
    const wake = Atomics.load(control, WAKE);
    if (Atomics.load(control, POSTED) !== handled || Atomics.load(control, SEQ) !== done) continue;
    let spins = 0;
    while (Atomics.load(control, WAKE) === wake && ++spins < SPIN);
    if (spins === SPIN) Atomics.wait(control, WAKE, wake);
  }
}
function onMessage(data) {
  if (data.type === 'init') {
    control = new Int32Array(data.control);
    args = new Float64Array(data.control, ${ARGS_BYTE_OFFSET}, ${MAX_ARGS});
    message = new Uint16Array(data.control, ${MESSAGE_BYTE_OFFSET}, MESSAGE_CHARS);
    names = data.names;
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
      for (const id of data.ids) instances.delete(id);
    }
  }
  if (Atomics.load(control, POSTED) === handled) loop();
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
  control: Int32Array;
  args: Float64Array;
  message: Uint16Array;
  post(message: unknown, transfer?: Transferable[]): void;
  terminate(): void;
  ref(): void;
  unref(): void;
  /** Resolvers of pending `attached` replies, by core id. */
  attaching: Map<number, (error: string | undefined) => void>;
}

interface NodeWorkerLike {
  postMessage(message: unknown): void;
  on(event: string, listener: (value: never) => void): void;
  terminate(): Promise<number>;
  ref(): void;
  unref(): void;
}

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
  private nextId = 1;
  /** Tasks started so far (each split call counts once), for tests and benchmarks. */
  dispatches = 0;
  private names: readonly string[] = [];
  private readonly finalizer = new FinalizationRegistry<number>((id) => this.detach(id));

  constructor(private readonly spawn: () => Promise<PoolWorker>) {}

  /** Workers in the pool (across every core). */
  get size(): number {
    return this.workers.length;
  }

  /**
   * Gives `workers` workers an instance of `module` on `memory`; returns the core's id. `owner`
   * (the core) is watched: once it is garbage-collected, the workers drop their instances too.
   */
  async attach(module: WebAssembly.Module, memory: WebAssembly.Memory, workers: number, names: readonly string[], owner: object): Promise<number> {
    if (this.names.length === 0) this.names = names;
    else if (this.names !== names) throw new Error('internal: one kernel table per pool');
    while (this.workers.length < workers) {
      const worker = await this.spawn();
      worker.post({ type: 'init', control: worker.control.buffer, names: this.names });
      this.workers.push(worker);
    }
    const id = this.nextId++;
    const replies = this.workers.slice(0, workers).map((worker) => new Promise<string | undefined>((resolve) => {
      worker.attaching.set(id, resolve);
      worker.ref(); // an unref'd worker would let Node exit before it replies
      this.post(worker, { type: 'attach', id, module, memory });
    }));
    const errors = await Promise.all(replies);
    for (const worker of this.workers) worker.unref();
    this.attached.set(id, workers);
    const failed = errors.find((error) => error !== undefined);
    if (failed !== undefined) {
      this.detach(id);
      throw new Error(`fmnist-wasm: a worker could not instantiate the core: ${failed}`);
    }
    this.finalizer.register(owner, id, owner);
    return id;
  }

  /** Drops the core's instances from the workers; ends every worker once no core is attached. */
  detach(id: number, owner?: object): void {
    if (owner !== undefined) this.finalizer.unregister(owner);
    const workers = this.attached.get(id);
    if (workers === undefined) return;
    this.attached.delete(id);
    if (this.attached.size === 0) {
      for (const worker of this.workers) worker.terminate();
      this.workers.length = 0;
      return;
    }
    for (const worker of this.workers.slice(0, workers)) this.post(worker, { type: 'detach', ids: [id] });
  }

  private post(worker: PoolWorker, message: unknown): void {
    Atomics.add(worker.control, POSTED, 1);
    worker.post(message);
    Atomics.add(worker.control, WAKE, 1);
    Atomics.notify(worker.control, WAKE);
  }

  /** The args of worker w's next task, to fill before `start`. */
  args(worker: number): Float64Array {
    return this.workers[worker]!.args;
  }

  /** Starts `kernel` on workers 0..count-1 (their args already written). */
  start(core: number, kernel: number, count: number): void {
    this.dispatches++;
    for (let w = 0; w < count; w++) {
      const control = this.workers[w]!.control;
      control[CORE] = core;
      control[KERNEL] = kernel;
      Atomics.add(control, SEQ, 1);
      Atomics.add(control, WAKE, 1);
      Atomics.notify(control, WAKE);
    }
  }

  /**
   * Waits for workers 0..count-1, then throws the first worker's error (naming `kernel`), if any.
   * Always waits for every worker first, so no part still writes when the caller moves on.
   */
  join(count: number, kernelName: string): void {
    let failed = -1;
    for (let w = 0; w < count; w++) {
      const control = this.workers[w]!.control;
      const seq = Atomics.load(control, SEQ);
      let spins = 0;
      for (;;) {
        const done = Atomics.load(control, DONE);
        if (done === seq) break;
        if (this.blocking && ++spins > SPIN) Atomics.wait(control, DONE, done);
      }
      if (failed < 0 && control[STATUS] !== 0) failed = w;
    }
    if (failed >= 0) {
      const worker = this.workers[failed]!;
      const text = String.fromCharCode(...worker.message.subarray(0, worker.control[MESSAGE_LENGTH]));
      throw new Error(`${kernelName} failed in worker ${failed + 1}: ${text}`);
    }
  }

}

function makeControl(): { control: Int32Array; args: Float64Array; message: Uint16Array } {
  const buffer = new SharedArrayBuffer(CONTROL_BYTES);
  return {
    control: new Int32Array(buffer, 0, ARGS_BYTE_OFFSET / 4),
    args: new Float64Array(buffer, ARGS_BYTE_OFFSET, MAX_ARGS),
    message: new Uint16Array(buffer, MESSAGE_BYTE_OFFSET, MESSAGE_CHARS),
  };
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
    ...makeControl(),
    post: (message) => nodeWorker.postMessage(message),
    terminate: () => void nodeWorker.terminate(),
    ref: () => nodeWorker.ref(),
    unref: () => nodeWorker.unref(),
    attaching: new Map(),
  };
  nodeWorker.on('message', (data: never) => wireReplies(worker, data));
  nodeWorker.on('error', (error: never) => failAttaching(worker, error));
  nodeWorker.unref();
  return worker;
}

let blobUrl: string | undefined;

async function spawnWebWorker(): Promise<PoolWorker> {
  blobUrl ??= URL.createObjectURL(new Blob([WORKER_SOURCE], { type: 'text/javascript' }));
  const webWorker = new Worker(blobUrl);
  const worker: PoolWorker = {
    ...makeControl(),
    post: (message) => webWorker.postMessage(message),
    terminate: () => webWorker.terminate(),
    ref: () => {},
    unref: () => {},
    attaching: new Map(),
  };
  webWorker.onmessage = (event: MessageEvent) => wireReplies(worker, event.data);
  webWorker.onerror = (event: ErrorEvent) => failAttaching(worker, event.message);
  return worker;
}

/** A worker that dies while cores wait for it to attach fails those attaches instead of hanging them. */
function failAttaching(worker: PoolWorker, error: unknown): void {
  for (const resolve of worker.attaching.values()) resolve(String((error as Error)?.message ?? error));
  worker.attaching.clear();
}

let shared: WorkerPool | undefined;

/** This thread's pool, created on first use. */
export function workerPool(): WorkerPool {
  shared ??= new WorkerPool(isNode ? spawnNodeWorker : spawnWebWorker);
  return shared;
}
