/**
 * The pool's worker: plain JS in a string, run as is in a Node worker_thread (`eval: true`) or a
 * browser Worker (a Blob URL), so no bundler needs to know about it. It holds one instance of each
 * attached core's module on that core's shared memory, keyed by core id, and runs the parts it
 * claims on the task board (board.ts describes the protocol; the layout constants come from there).
 * A part's args are on the board as the caller computed them: the worker only puts its own
 * workspace in.
 */
import * as B from './board.js';

const CONSTANTS = Object.entries(B)
  .filter((entry): entry is [string, number] => typeof entry[1] === 'number')
  .map(([name, value]) => `${name} = ${value}`)
  .join(', ');

const CALL_ARGS = Array.from({ length: B.MAX_ARGS }, (_, i) => `out[${i}]`).join(', ');

export const WORKER_SOURCE = `'use strict';
const ${CONSTANTS};
let port, board, f64, message, names, me, handled = 0, seen = 0, hot = false;
const instances = new Map();
const out = new Float64Array(MAX_ARGS);
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
// Claims and runs parts of task seq; false when the task does not ask for this worker.
function work(seq) {
  if (me >= board[WORKERS]) return false;
  const tag = (seq & 0xffffff) << 8;
  for (;;) {
    const next = Atomics.load(board, NEXT);
    if ((next & ~255) !== tag || (next & 255) >= board[PARTS]) return true;
    if (Atomics.compareExchange(board, NEXT, next, next + 1) !== next) continue;
    try {
      const exports = instances.get(board[CORE]);
      if (exports === undefined) throw new Error('worker ' + (me + 1) + ' has no instance of core ' + board[CORE]);
      const at = PART_ARGS + (next & 255) * MAX_ARGS;
      for (let i = 0; i < MAX_ARGS; i++) out[i] = f64[at + i];
      const workspace = board[WORKSPACE_ARG];
      if (workspace >= 0) out[workspace] = f64[WORKSPACE_BASE] + me * f64[WORKSPACE_BYTES];
      exports[names[board[KERNEL]]](${CALL_ARGS});
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
      hot = work(seq);
      continue;
    }
    const wake = Atomics.load(board, WAKE);
    if (Atomics.load(board, POSTED_BASE + me) !== handled || Atomics.load(board, SEQ) !== seen) continue;
    if (hot && Atomics.load(board, QUIET) !== seen) {
      // Spin for the next task of the same core, until the pool quiets the task seen or the budget ends.
      hot = false;
      const budget = Atomics.load(board, SPIN_BUDGET);
      Atomics.store(board, STATE_BASE + me, SPINNING);
      let spins = 0;
      while (Atomics.load(board, WAKE) === wake && ++spins < budget && (spins % QUIET_EVERY !== 0 || Atomics.load(board, QUIET) !== seen));
      if (Atomics.load(board, WAKE) !== wake) {
        Atomics.store(board, STATE_BASE + me, AWAKE);
        continue;
      }
    }
    hot = false;
    Atomics.store(board, STATE_BASE + me, SLEEPING);
    Atomics.wait(board, WAKE, wake);
    Atomics.store(board, STATE_BASE + me, AWAKE);
  }
}
function onMessage(data) {
  if (data.type === 'init') {
    board = new Int32Array(data.board, 0, INT_WORDS);
    f64 = new Float64Array(data.board, F64_BYTE_OFFSET, F64_WORDS);
    message = new Uint16Array(data.board, MESSAGE_BYTE_OFFSET, MESSAGE_CHARS);
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
