// Shared pieces of the kernel benchmarks that compare ours with the peers (conv2d, maxpool2d,
// softmax-xent, elementwise, and the tfjs columns of gemm): the release core with a bump
// allocator, one timing function, the result check and the row layout.
//
// Timing: one tinybench run per task. A first untimed call estimates the cost; the iteration
// count is then chosen so each task takes about its budget (at least 2 samples, 3 in a full run;
// calls over a second get 1 in --quick and 2 in a full run), after a warm-up of a few calls when a call is cheap. The
// median and the median absolute deviation (MAD) of the samples are reported; p25/p75 go to the
// results file. Every measurement is also recorded in `measurements` for the JSON output.
import { Bench } from 'tinybench';
import type { CoreExports } from '../src/core/abi.js';
import { instantiateCore } from '../src/core/load.js';
import type { BenchOptions, BenchRow } from './types.js';

/** A fresh instance of the release build, as users get it. */
export function loadRelease(): Promise<CoreExports> {
  return instantiateCore();
}

/** A bump allocator over the core's memory: 64-byte aligned buffers, grown on demand. */
export class WasmHeap {
  private top: number;

  constructor(readonly core: CoreExports) {
    this.top = (core.heap_base() + 63) & ~63;
  }

  alloc(bytes: number): number {
    const ptr = this.top;
    this.top = (this.top + Math.max(bytes, 16) + 63) & ~63;
    const need = this.top - this.core.memory.buffer.byteLength;
    if (need > 0) this.core.memory.grow(Math.ceil(need / 65536));
    return ptr;
  }

  /** A copy of `data` in wasm memory. */
  put(data: Float32Array | Int32Array): number {
    const ptr = this.alloc(data.byteLength);
    if (data instanceof Float32Array) this.f32(ptr, data.length).set(data);
    else this.i32(ptr, data.length).set(data);
    return ptr;
  }

  /** An f32 output buffer prefilled with NaN, so an element the kernel skips cannot pass the check. */
  nan(length: number): number {
    const ptr = this.alloc(length * 4);
    this.f32(ptr, length).fill(Number.NaN);
    return ptr;
  }

  f32(ptr: number, length: number): Float32Array {
    return new Float32Array(this.core.memory.buffer, ptr, length);
  }

  i32(ptr: number, length: number): Int32Array {
    return new Int32Array(this.core.memory.buffer, ptr, length);
  }
}

export interface Stats {
  /** Milliseconds per call. */
  median: number;
  mad: number;
  p25: number;
  p75: number;
  samples: number;
}

export interface Measurement extends Stats {
  family: string;
  kernel: string;
  shape: string;
  impl: string;
}

/** Every measurement of this process, for the results file. */
export const measurements: Measurement[] = [];

/** Milliseconds a task should take (after its warm-up). */
function budgetMs(options: BenchOptions): number {
  return options.quick ? 120 : 600;
}

/**
 * Times `fn` (which must finish its work before returning: peers read their output back).
 * `label` names the measurement in the results file. `firstCallMs`: the caller already made (and
 * timed) a first call, e.g. the reference computing the expected values; it replaces the estimate.
 */
export async function measure(
  fn: () => unknown,
  options: BenchOptions,
  label: Omit<Measurement, keyof Stats>,
  firstCallMs?: number,
): Promise<Stats> {
  let start = performance.now();
  let first = firstCallMs ?? Number.POSITIVE_INFINITY;
  if (firstCallMs === undefined) {
    fn();
    first = performance.now() - start;
  }
  if (first < 200) {
    // the first call of a peer op includes its compilation: estimate again
    start = performance.now();
    fn();
    first = performance.now() - start;
  }
  const budget = budgetMs(options);
  const least = first > 1000 ? (options.quick ? 1 : 2) : options.quick ? 2 : 3; // calls over a second: 1–2 samples
  const iterations = Math.max(least, Math.min(options.quick ? 30 : 200, Math.floor(budget / Math.max(first, 1e-3))));
  const bench = new Bench({
    time: 0,
    iterations,
    warmupTime: 0,
    warmupIterations: first > 20 ? 0 : options.quick ? 3 : 10,
    retainSamples: true,
    throws: true,
  });
  bench.add('task', fn);
  await bench.run();
  const result = bench.getTask('task')?.result;
  if (!result || !('latency' in result)) throw new Error(`benchmark task ${label.kernel} ${label.shape} (${label.impl}) did not complete`);
  const { latency } = result;
  const samples = [...(latency.samples ?? [])].sort((x, y) => x - y);
  const quantile = (q: number) => {
    if (samples.length === 0) return latency.p50;
    const pos = (samples.length - 1) * q;
    const lo = Math.floor(pos);
    const hi = Math.ceil(pos);
    return samples[lo] + (samples[hi] - samples[lo]) * (pos - lo);
  };
  const stats: Stats = { median: latency.p50, mad: latency.mad, p25: quantile(0.25), p75: quantile(0.75), samples: latency.samplesCount };
  measurements.push({ ...label, ...stats });
  return stats;
}

/** A timing or the reason there is none ("no kernel (Conv2DBackpropFilter)"). */
export type Timing = Stats | string;

/** "0.612 ±3%": the median in ms and the MAD as a fraction of it. */
/** The median of `values` (the lower middle one for an even count); NaN for none. */
export function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor((sorted.length - 1) / 2)]!;
}

/** `x` to `digits` significant digits, as the tables print it. */
export function round(x: number, digits = 3): number {
  return Number(x.toPrecision(digits));
}

export function msCell(t: Timing | undefined): string {
  if (t === undefined) return '';
  if (typeof t === 'string') return t;
  const digits = t.median >= 100 ? 0 : t.median >= 1 ? 2 : 3;
  return `${t.median.toFixed(digits)} ±${Math.round((100 * t.mad) / t.median)}%`;
}

/** peer median / our median: above 1 when ours is faster. */
export function speedup(ours: Timing, peer: Timing | undefined): number | string {
  if (typeof ours === 'string' || peer === undefined) return '';
  if (typeof peer === 'string') return '—';
  return Number((peer.median / ours.median).toPrecision(3));
}

export function gflops(flop: number, t: Timing | undefined): number | string {
  if (t === undefined || typeof t === 'string') return '';
  return Number((flop / (t.median * 1e6)).toPrecision(3));
}

export function gbytes(bytes: number, t: Timing | undefined): number | string {
  if (t === undefined || typeof t === 'string') return '';
  return Number((bytes / (t.median * 1e6)).toPrecision(3));
}

export const PEERS = ['tfjs-wasm', 'tfjs-cpu'] as const;
export type PeerName = (typeof PEERS)[number];

export interface KernelResult {
  kernel: string;
  shape: string;
  ours: Timing;
  ref?: Timing;
  peers: Partial<Record<PeerName, Timing>>;
  /** FLOPs per call, when defined: GFLOP/s columns for every implementation. */
  flop?: number;
  /** Bytes moved per call by our kernel (memory-bound kernels): a GB/s column for ours. */
  bytes?: number;
  note?: string;
}

/** The common row layout of the kernel families. */
export function kernelRow(r: KernelResult): BenchRow {
  const row: BenchRow = {
    kernel: r.kernel,
    shape: r.shape,
    'ours ms': msCell(r.ours),
    'ref ms': msCell(r.ref),
    'tfjs-wasm ms': msCell(r.peers['tfjs-wasm']),
    'tfjs-cpu ms': msCell(r.peers['tfjs-cpu']),
  };
  if (r.flop !== undefined) {
    row['ours GFLOP/s'] = gflops(r.flop, r.ours);
    row['tfjs-wasm GFLOP/s'] = gflops(r.flop, r.peers['tfjs-wasm']);
    row['tfjs-cpu GFLOP/s'] = gflops(r.flop, r.peers['tfjs-cpu']);
  }
  if (r.bytes !== undefined) row['ours GB/s'] = gbytes(r.bytes, r.ours);
  row['× ref'] = speedup(r.ours, r.ref);
  row['× tfjs-wasm'] = speedup(r.ours, r.peers['tfjs-wasm']);
  row['× tfjs-cpu'] = speedup(r.ours, r.peers['tfjs-cpu']);
  row.note = r.note ?? '';
  return row;
}

/** The legend printed under every kernel table. */
export const KERNEL_LEGEND =
  'ms: median ±MAD per call. × peer: peer median / our median (above 1 = ours faster). ' +
  'ref: the plain f64 TypeScript loops of test/reference. tfjs timings include reading the output back ' +
  '(dataSync() inside each timed call, which waits for the result); ours leave results in wasm memory.';

/**
 * Throws unless got matches want within atol + rtol·|want| (a wrong result must never be timed).
 * Returns the largest absolute error.
 */
export function check(what: string, got: ArrayLike<number>, want: ArrayLike<number>, atol: number, rtol = 0): number {
  if (got.length !== want.length) throw new Error(`${what}: ${got.length} elements, expected ${want.length}`);
  let worst = 0;
  for (let i = 0; i < want.length; i++) {
    const err = Math.abs(got[i] - want[i]);
    if (!(err <= atol + rtol * Math.abs(want[i]))) {
      throw new Error(`${what}: [${i}] = ${got[i]}, expected ${want[i]} (tolerance ${atol} + ${rtol}·|expected|)`);
    }
    worst = Math.max(worst, err);
  }
  return worst;
}

/**
 * Like `check` but returns a note instead of throwing ('' when it matches): used for the peers'
 * outputs, whose errors are findings to report, not reasons to stop.
 */
export function checkNote(what: string, got: ArrayLike<number>, want: ArrayLike<number>, atol: number, rtol = 0): string {
  if (got.length !== want.length) return `MISMATCH ${what}: ${got.length} elements, expected ${want.length}`;
  let bad = 0;
  let first = -1;
  for (let i = 0; i < want.length; i++) {
    if (!(Math.abs(got[i] - want[i]) <= atol + rtol * Math.abs(want[i]))) {
      bad++;
      if (first < 0) first = i;
    }
  }
  return bad === 0
    ? ''
    : `MISMATCH ${what}: ${bad} of ${want.length} elements wrong (first [${first}] = ${got[first]}, expected ${want[first]})`;
}

/** Runs `fn` once and times it: the reference's check call doubles as the first estimate. */
export function timed<T>(fn: () => T): { value: T; ms: number } {
  const start = performance.now();
  const value = fn();
  return { value, ms: performance.now() - start };
}

export async function guarded(what: string, body: () => Promise<Timing>): Promise<Timing> {
  try {
    return await body();
  } catch (error) {
    const message = (error as Error).message ?? String(error);
    process.stderr.write(`${what}: ${message}\n`);
    return error instanceof WebAssembly.RuntimeError ? `trap: ${message}` : `error: ${message.slice(0, 80)}`;
  }
}
