/**
 * The task board: the one SharedArrayBuffer through which the calling thread hands kernel parts to
 * the pool's workers (pool.ts is the caller's side, worker-source.ts the workers'). Int32 words
 * first, then f64 args, then an error message.
 *
 * A task: the caller writes the core, the kernel id, the part count, the workers that may take
 * parts and every part's args (precomputed, so the split is decided in one place: threads.ts);
 * opens it by storing NEXT = tag(seq) | 0, publishes SEQ = seq, bumps WAKE and notifies. Then the
 * caller and the workers CLAIM parts: compare-exchange NEXT from tag | i to tag | i + 1 while
 * i < PARTS, run part i, add 1 to FINISHED. Parts are claimed, not assigned, so a worker that the
 * OS has not scheduled yet costs nothing: the caller runs the parts nobody took, and a late worker
 * finds the task closed (its tag differs, or the count is CLOSED). The caller joins by closing the
 * task (NEXT = tag | CLOSED) and waiting until FINISHED equals the parts claimed; only then may the
 * board be rewritten. A worker runs its parts with its own workspace (WORKSPACE_ARG replaced by
 * WORKSPACE_BASE + worker · WORKSPACE_BYTES); the caller with the call's.
 * Errors: the first failing worker stores its index + 1 in ERROR and its message; the caller throws
 * it, naming the kernel, after the join. Nothing is allocated per task.
 * Messages (attach/detach a core) bump the worker's POSTED word before postMessage, then WAKE: the
 * worker, blocked in its task loop, returns to its event loop until it has handled as many
 * messages as POSTED says.
 * Spinning: a worker that was one of a task's workers spins after it (SPIN) for the next task of
 * that core, then sleeps in Atomics.wait on WAKE; a worker the task did not ask for sleeps at once.
 * The pool sets QUIET to the last task's SEQ when another core runs on the calling thread alone (a core of one thread, a
 * call too small to split, the typed-array functions' copies): the spinning workers then sleep at
 * once instead of taking the CPU from it. Cores in one process share the workers this way.
 */

// Int32 words.
export const SEQ = 0;
export const WAKE = 1;
export const NEXT = 2;
export const FINISHED = 3;
export const ERROR = 4;
export const MESSAGE_LENGTH = 5;
export const CORE = 6;
export const KERNEL = 7;
export const PARTS = 8;
/** Workers that may claim parts of the task (0 .. WORKERS − 1). */
export const WORKERS = 9;
/** The arg a worker replaces by its own workspace, or −1. */
export const WORKSPACE_ARG = 10;
/**
 * The last task whose workers must not spin for a next one: the pool stores its SEQ there, and a
 * worker that saw that task sleeps (a worker slow to see the task still sees the quiet after it).
 */
export const QUIET = 11;
/** A worker's spin after a task, in iterations (SPIN; tests raise it to see who spins). */
export const SPIN_BUDGET = 12;
/** POSTED word of worker w: POSTED_BASE + w. */
export const POSTED_BASE = 16;
export const MAX_WORKERS = 240;
/** STATE word of worker w: STATE_BASE + w, one of the states below (for tests and diagnostics). */
export const STATE_BASE = POSTED_BASE + MAX_WORKERS;
export const INT_WORDS = STATE_BASE + MAX_WORKERS;
export const AWAKE = 0;
export const SPINNING = 1;
export const SLEEPING = 2;

/** Part count in NEXT that no claim passes (parts are at most MAX_PARTS < CLOSED). */
export const CLOSED = 255;
export const MAX_PARTS = 254;
/** Args of a part: the largest `_part` export's arity (conv2d backward filter: 14 + part, parts). */
export const MAX_ARGS = 16;

// f64 words: the workers' workspaces, then MAX_ARGS args per part.
export const WORKSPACE_BASE = 0;
export const WORKSPACE_BYTES = 1;
export const PART_ARGS = 2;
export const F64_BYTE_OFFSET = INT_WORDS * 4;
export const F64_WORDS = PART_ARGS + MAX_PARTS * MAX_ARGS;

export const MESSAGE_BYTE_OFFSET = F64_BYTE_OFFSET + F64_WORDS * 8;
export const MESSAGE_CHARS = 480;
export const BOARD_BYTES = MESSAGE_BYTE_OFFSET + MESSAGE_CHARS * 2;

/**
 * A worker's busy-wait iterations (Atomics.load) after a task before it sleeps: about 2.5 ms here,
 * longer than the gap between two training steps (the loss read-back, callbacks, the next gather).
 * A worker that falls asleep between an MLP's kernels takes 50-180 µs to wake, longer than most of
 * those kernels, so the caller ends up running every part itself: with about 0.1-0.2 ms of spin,
 * mlp at batch 64 trained slower on 2 threads than on 1.
 */
export const SPIN = 500_000;
/** Spins of QUIET's check: every 64th iteration (a second load each time would slow the spin's reaction). */
export const QUIET_EVERY = 64;
/**
 * The caller's busy-wait iterations in a join before it blocks: about 0.1 ms, more than the parts
 * of a training step's kernels differ by. A longer wait means a late worker, whose part needs the
 * CPU the caller would spin on (more threads than cores, or a busy machine).
 */
export const JOIN_SPIN = 20_000;

/** The three views of a board. */
export interface BoardViews {
  words: Int32Array;
  f64: Float64Array;
  message: Uint16Array;
}

export function boardViews(buffer: SharedArrayBuffer): BoardViews {
  return {
    words: new Int32Array(buffer, 0, INT_WORDS),
    f64: new Float64Array(buffer, F64_BYTE_OFFSET, F64_WORDS),
    message: new Uint16Array(buffer, MESSAGE_BYTE_OFFSET, MESSAGE_CHARS),
  };
}
