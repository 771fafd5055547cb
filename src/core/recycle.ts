/**
 * Disposed cores' instances, for the next loadCore of the same compiled module. A wasm memory lives
 * outside the JS heap, so the collector is in no hurry to free one: 200 models made and disposed
 * in a loop held about 1 GB until a collection ran. `dispose()` hands its core's instance (the
 * loader's exports and their memory) here, and `loadCore` takes it back, its memory zeroed from
 * the heap base up (as a fresh memory is), instead of making a new one. An instance nobody takes
 * within KEEP_MS is let go, so a program that stops making cores does not keep their memory.
 */
import type { CoreExports } from './abi.js';

interface Released {
  readonly module: WebAssembly.Module;
  readonly exports: CoreExports;
  readonly timer: ReturnType<typeof setTimeout>;
}

/** At most this many released instances are kept (the oldest is let go first). */
const MAX_RELEASED = 4;
/** How long a released instance waits for the next core. */
const KEEP_MS = 1000;
const released: Released[] = [];

/** Hands a disposed core's instance of `module` over to the next core of that module. */
export function release(module: WebAssembly.Module, exports: CoreExports): void {
  if (released.length >= MAX_RELEASED) forget(released[0]!);
  const timer = setTimeout(() => forget(entry), KEEP_MS);
  // The timer must not keep a Node process alive.
  (timer as { unref?: () => void }).unref?.();
  const entry: Released = { module, exports, timer };
  released.push(entry);
}

/** A released instance of `module`, its memory zeroed above the module's static data; undefined when none is kept. */
export function reclaim(module: WebAssembly.Module): CoreExports | undefined {
  let entry: Released | undefined;
  for (const candidate of released) if (candidate.module === module) entry = candidate;
  if (entry === undefined) return undefined;
  forget(entry);
  new Uint8Array(entry.exports.memory.buffer, entry.exports.heap_base()).fill(0);
  return entry.exports;
}

function forget(entry: Released): void {
  clearTimeout(entry.timer);
  const at = released.indexOf(entry);
  if (at >= 0) released.splice(at, 1);
}
