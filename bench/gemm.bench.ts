// GEMM benchmark: median time, GFLOP/s (2·m·n·k / t) and the percentage of the f32x4 peak probe
// (peak_f32x4_probe), each shape timed right after a probe call of the same duration, in several
// rounds, so the ratio survives the load of a shared machine (see run). Compare percentages, not
// GFLOP/s across runs.
// Release build, seeded inputs, each result NaN-prefilled and checked once against the f64
// reference before it is timed. The tile and blocking choices are in the header of
// assembly/gemm.ts, the alternatives measured in bench/README.md.
// When the runtime has relaxed SIMD (Node >= 22; Node 20 with --experimental-wasm-relaxed-simd),
// build/release-relaxed.wasm (FMA, 6×8 tile) is timed in the same rounds beside the strict build,
// with its own probe through f32x4.relaxed_madd (peak_f32x4_madd_probe).
import { Bench } from 'tinybench';
import type { CoreExports } from '../src/core/abi.js';
import { gemm_f32 } from '../test/reference/gemm.js';
import { randomF32 } from '../test/helpers/random.js';
import type { BenchOptions, BenchRow } from './types.js';
import { gemmShapes, type GemmShape } from './shapes.js';
import { addPeerColumns } from './peers/tfjs-gemm.js';
import { loadRelease, WasmHeap } from './harness.js';
import { loadRelaxed } from './relaxed.js';
import { FLOP_PER_PROBE_ROUND, loadProbe } from './probe.js';

export { GEMM_PEER_LEGEND as legend } from './peers/tfjs-gemm.js';

const CALIBRATION_ROUNDS = 100_000; // about 0.25 ms

function kernel(core: CoreExports, variant: GemmShape['variant']) {
  return variant === 'nn' ? core.gemm_f32_nn : variant === 'tn' ? core.gemm_f32_tn : core.gemm_f32_nt;
}

/** Throws unless C matches the f64 reference within k·2⁻²³·max|a|·max|b| (inputs in [−1, 1)). */
function check(core: CoreExports, shape: GemmShape, a: Float32Array, b: Float32Array, cPtr: number): void {
  const { variant, m, k, n } = shape;
  const got = new Float32Array(core.memory.buffer, cPtr, m * n);
  const want = gemm_f32(variant, a, b, m, k, n);
  const tolerance = k * 2 ** -23;
  for (let i = 0; i < m * n; i++) {
    if (!(Math.abs(got[i] - want[i]) <= tolerance)) {
      throw new Error(`gemm_f32_${variant} ${m}x${k}x${n}: C[${i}] = ${got[i]}, expected ${want[i]}`);
    }
  }
}

export async function run(options: BenchOptions): Promise<BenchRow[]> {
  const core = await loadRelease();
  const relaxed = await loadRelaxed();
  const shapes = gemmShapes(options.quick);
  const calls = prepare(core, shapes);
  const relaxedCalls = typeof relaxed === 'string' ? null : prepare(relaxed, shapes);
  const probe = loadProbe();
  const relaxedProbe = typeof relaxed === 'string' ? null : loadProbe('probe-relaxed');
  // Each shape is compared with a probe call of about its own duration: on a loaded machine a
  // call longer than a scheduler slice is preempted in every sample while a shorter one mostly
  // is not, so a probe of fixed length would favour either the short or the long shapes.
  const probeMsPerRound = fastest(() => probe.peak_f32x4_probe(CALIBRATION_ROUNDS)) / CALIBRATION_ROUNDS;
  const probeRounds = calls.map((call) => Math.max(1000, Math.round(fastest(call) / probeMsPerRound)));

  // The machine is shared: its speed drifts within a run. Each shape is timed right after the
  // probe, in several rounds; its % of peak is the median over rounds of the ratio measured
  // back to back, and its time the median over rounds of the per-round medians.
  const rounds = options.quick ? 3 : 5;
  const probeGflops: number[] = [];
  const maddProbeGflops: number[] = [];
  const shapeMs: number[][] = shapes.map(() => []);
  const ratios: number[][] = shapes.map(() => []);
  const relaxedMs: number[][] = shapes.map(() => []);
  const relaxedRatios: number[][] = shapes.map(() => []);
  const speedups: number[][] = shapes.map(() => []);
  for (let round = 0; round < rounds; round++) {
    for (let s = 0; s < shapes.length; s++) {
      const bench = new Bench({
        time: options.quick ? 60 : 150,
        iterations: 5,
        warmupTime: 20,
        warmupIterations: 2,
      });
      bench.add('probe', () => probe.peak_f32x4_probe(probeRounds[s]));
      bench.add('gemm', calls[s]);
      if (relaxedCalls && relaxedProbe) {
        bench.add('madd probe', () => relaxedProbe.peak_f32x4_madd_probe(probeRounds[s]));
        bench.add('relaxed', relaxedCalls[s]);
      }
      await bench.run();
      const p = median50(bench, 'probe');
      const g = median50(bench, 'gemm');
      const peakThisRound = (probeRounds[s] * FLOP_PER_PROBE_ROUND) / (p * 1e6);
      probeGflops.push(peakThisRound);
      shapeMs[s].push(g);
      ratios[s].push(flop(shapes[s]) / (g * 1e6) / peakThisRound);
      if (relaxedCalls) {
        const r = median50(bench, 'relaxed');
        maddProbeGflops.push((probeRounds[s] * FLOP_PER_PROBE_ROUND) / (median50(bench, 'madd probe') * 1e6));
        relaxedMs[s].push(r);
        relaxedRatios[s].push(flop(shapes[s]) / (r * 1e6) / peakThisRound);
        speedups[s].push(g / r);
      }
    }
  }

  const rows: BenchRow[] = [
    {
      kernel: 'peak_f32x4_probe',
      shape: `${Math.min(...probeRounds)}..${Math.max(...probeRounds)} rounds`,
      'median ms': '',
      'GFLOP/s': median(probeGflops),
      '% of probe': 100,
      note: `median of ${probeGflops.length} runs, each beside one shape and as long as it`,
    },
  ];
  if (relaxedCalls) {
    rows.push({
      kernel: 'peak_f32x4_madd_probe (relaxed)',
      shape: 'as above',
      'median ms': '',
      'GFLOP/s': median(maddProbeGflops),
      '% of probe': (100 * median(maddProbeGflops)) / median(probeGflops),
      note: 'the same chains with f32x4.relaxed_madd (FMA)',
    });
  }
  shapes.forEach((shape, s) => {
    const ms = median(shapeMs[s]);
    rows.push({
      kernel: `gemm_f32_${shape.variant}`,
      shape: `${shape.m}x${shape.k}x${shape.n}`,
      'median ms': ms,
      'GFLOP/s': flop(shape) / (ms * 1e6),
      '% of probe': 100 * median(ratios[s]),
      note: shape.target ? `${shape.label} (target ≥ 85%)` : shape.label,
    });
  });
  await addPeerColumns(rows, shapes, options); // ref and tfjs columns (bench/peers/tfjs-gemm.ts), after ours
  shapes.forEach((shape, s) => {
    if (!relaxedCalls) return;
    const ms = median(relaxedMs[s]);
    rows.push({
      kernel: `gemm_f32_${shape.variant} (relaxed)`,
      shape: `${shape.m}x${shape.k}x${shape.n}`,
      'median ms': ms,
      'GFLOP/s': flop(shape) / (ms * 1e6),
      '% of probe': 100 * median(relaxedRatios[s]),
      note: `× strict ${median(speedups[s]).toFixed(2)} (median of per-round ratios)`,
    });
  });
  if (typeof relaxed === 'string') rows.push({ kernel: 'release-relaxed.wasm', note: relaxed });
  return rows;
}

/** Inputs, NaN-prefilled C and one checked call per shape; returns the timed calls. */
function prepare(core: CoreExports, shapes: GemmShape[]): (() => void)[] {
  const heap = new WasmHeap(core);
  const alloc = (bytes: number) => heap.alloc(bytes);
  const workspace = alloc(core.gemm_f32_workspace_bytes());
  return shapes.map((shape) => {
    const { variant, m, k, n } = shape;
    const aData = randomF32(m * k, 1);
    const bData = randomF32(k * n, 2);
    const a = alloc(aData.byteLength);
    const b = alloc(bData.byteLength);
    const c = alloc(m * n * 4);
    new Float32Array(core.memory.buffer, a, aData.length).set(aData);
    new Float32Array(core.memory.buffer, b, bData.length).set(bData);
    new Float32Array(core.memory.buffer, c, m * n).fill(Number.NaN);
    const gemm = kernel(core, variant);
    gemm(c, a, b, workspace, m, k, n, 0);
    check(core, shape, aData, bData, c);
    return () => gemm(c, a, b, workspace, m, k, n, 0);
  });
}

/** The fastest of a few calls (after one warm-up call): a duration estimate for calibration. */
function fastest(call: () => unknown): number {
  call();
  let best = Infinity;
  for (let i = 0; i < 5; i++) {
    const start = performance.now();
    call();
    best = Math.min(best, performance.now() - start);
  }
  return best;
}

function flop({ m, k, n }: GemmShape): number {
  return 2 * m * k * n;
}

function median50(bench: Bench, name: string): number {
  const result = bench.getTask(name)?.result;
  if (!result || !('latency' in result)) throw new Error(`benchmark task ${name} did not complete`);
  return result.latency.p50;
}

function median(values: number[]): number {
  const sorted = [...values].sort((x, y) => x - y);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

function shapeName({ variant, m, k, n }: GemmShape): string {
  return `gemm_f32_${variant} ${m}x${k}x${n}`;
}
