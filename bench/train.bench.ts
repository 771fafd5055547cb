// End-to-end training benchmark: seconds per epoch (60,000 images) and images/s of each paper
// architecture at batch sizes 15, 64 and 256 (--quick: 64 only), ours against tfjs-layers models
// of the same architecture, optimizer and batch size on the tfjs wasm and cpu backends. Every
// configuration runs in a child process of its own (bench/train-worker.ts, which documents the
// procedure) so its peak RSS is its own.
//
// Architectures (the paper's readings, src/reproduce/presets.ts): every hidden layer sigmoid, a
// softmax output, categorical cross-entropy, plain SGD.
//   scratch-mlp  784 → 300 → 10, no biases, loss summed over the batch, lr 1e-3
//   mlp          784 → 300 → 200 → 75 → 10, lr 0.1
//   cnn          Conv2D 32 3x3 valid → MaxPool 2 → Flatten → 200 → 100 → 50 → 10, lr 0.1
//
// FLOPs per training image, counted from the layer shapes (GEMM/convolution only): forward
// 2·in·out per dense layer and 2·oh·ow·kh·kw·cin·cout per convolution; backward is twice the
// forward (dW and dX) minus the first layer's dX, which nobody computes. Effective GFLOP/s =
// FLOPs per epoch / seconds per epoch; "% of peak" relates it to the single-thread f32x4
// probe (peak_f32x4_probe) measured in this process before the runs.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { median, round } from './harness.js';
import { FLOP_PER_PROBE_ROUND, loadProbe } from './probe.js';
import type { BenchOptions, BenchRow } from './types.js';
import { failedResult, type TrainArch, type TrainConfig, type TrainImpl, type TrainResult } from './train-worker.js';

export const ARCHS: readonly TrainArch[] = ['scratch-mlp', 'mlp', 'cnn'];
export const IMPLS: readonly TrainImpl[] = ['ours', 'tfjs-wasm', 'tfjs-cpu', 'jax-js'];

export function batchSizes(quick: boolean): number[] {
  return quick ? [64] : [15, 64, 256];
}

type LayerShape =
  | { kind: 'dense'; inputs: number; units: number }
  | {
      kind: 'conv';
      outHeight: number;
      outWidth: number;
      kernelHeight: number;
      kernelWidth: number;
      inChannels: number;
      outChannels: number;
    };

export const LAYERS: Record<TrainArch, LayerShape[]> = {
  'scratch-mlp': [
    { kind: 'dense', inputs: 784, units: 300 },
    { kind: 'dense', inputs: 300, units: 10 },
  ],
  mlp: [
    { kind: 'dense', inputs: 784, units: 300 },
    { kind: 'dense', inputs: 300, units: 200 },
    { kind: 'dense', inputs: 200, units: 75 },
    { kind: 'dense', inputs: 75, units: 10 },
  ],
  cnn: [
    { kind: 'conv', outHeight: 26, outWidth: 26, kernelHeight: 3, kernelWidth: 3, inChannels: 1, outChannels: 32 },
    { kind: 'dense', inputs: 13 * 13 * 32, units: 200 },
    { kind: 'dense', inputs: 200, units: 100 },
    { kind: 'dense', inputs: 100, units: 50 },
    { kind: 'dense', inputs: 50, units: 10 },
  ],
};

function forwardFlop(layer: LayerShape): number {
  return layer.kind === 'dense'
    ? 2 * layer.inputs * layer.units
    : 2 * layer.outHeight * layer.outWidth * layer.kernelHeight * layer.kernelWidth * layer.inChannels * layer.outChannels;
}

/** Training FLOPs per image: 3 × forward − the first layer's dX. */
export function trainFlopPerImage(arch: TrainArch): number {
  const layers = LAYERS[arch];
  const forward = layers.reduce((sum, layer) => sum + forwardFlop(layer), 0);
  return 3 * forward - forwardFlop(layers[0]);
}

const PROBE_ROUNDS = 1_000_000;

/** GFLOP/s of the f32x4 peak probe: the best of a few calls. */
function probePeak(): number {
  const probe = loadProbe();
  let best = Number.POSITIVE_INFINITY;
  for (let i = 0; i < 15; i++) {
    const start = performance.now();
    probe.peak_f32x4_probe(PROBE_ROUNDS);
    best = Math.min(best, performance.now() - start);
  }
  return (PROBE_ROUNDS * FLOP_PER_PROBE_ROUND) / (best * 1e6);
}

/**
 * Node flags a child process needs for a relaxed-SIMD run: none when a plain child has it (Node
 * >= 22), the V8 flag when that gives it (Node 20), else undefined (no relaxed runs). Asked of a
 * child, not of this process, whose own flags the children do not get.
 */
export function relaxedSimdFlags(): string[] | undefined {
  const probe = `import('${new URL('../src/core/load.ts', import.meta.url).href}').then((m) => process.exit(m.hasRelaxedSimd() ? 0 : 1))`;
  for (const flags of [[], ['--experimental-wasm-relaxed-simd']]) {
    if (spawnSync(process.execPath, [...flags, '--import', 'tsx', '-e', probe]).status === 0) return flags;
  }
  return undefined;
}

/** Runs one configuration in a child process (with `flags` for Node); a crash becomes a failed result. */
export function runWorker(config: TrainConfig, timeoutSeconds: number, flags: string[] = []): TrainResult {
  const worker = fileURLToPath(new URL('./train-worker.ts', import.meta.url));
  const child = spawnSync(process.execPath, [...flags, '--import', 'tsx', worker, JSON.stringify(config)], {
    encoding: 'utf8',
    timeout: timeoutSeconds * 1000,
    maxBuffer: 64 * 1024 * 1024,
  });
  const line = child.stdout?.split('\n').find((l) => l.startsWith('@@result '));
  if (line) return JSON.parse(line.slice('@@result '.length)) as TrainResult;
  const why = child.error
    ? child.error.message
    : `exit ${child.status ?? child.signal}: ${(child.stderr ?? '').trim().split('\n').slice(-3).join(' / ')}`;
  return failedResult(config, `worker failed (${why})`);
}

/** "cannot train: Conv2DBackpropFilter missing" from tfjs' "Kernel 'X' not registered for backend 'wasm'". */
export function failureCell(error: string | undefined): string {
  const missing = /Kernel '(\w+)' not registered/.exec(error ?? '');
  return missing ? `cannot train: ${missing[1]} missing` : `failed: ${(error ?? 'unknown error').slice(0, 100)}`;
}

export const legend =
  'One process per row; s/epoch for 60,000 images ("extrapolated": timed over the steps shown, scaled to the epoch). ' +
  'Each timed figure is one model.fit() call after a warm-up step, so shuffling, batching, forward, loss, backward ' +
  'and the SGD step are all in it. With --rounds N our variants run N times, taking turns, and show the median run. ' +
  "ours ×: this row's s/epoch / ours (its median) at the same architecture and batch (above 1 = ours faster). " +
  '"ours": one thread, strict SIMD; "N threads": loadCore({ threads: N }) (`--threads N`, default all cores); "relaxed": the FMA build (Node 20 runs it with --experimental-wasm-relaxed-simd, shown only when the runtime allows). ' +
  '× ours 1 thread: images/s of the row / images/s of "ours" in the same round, the median over rounds (same architecture and batch; above 1 = faster). ' +
  'GFLOP/s: training FLOPs per epoch (from the layer shapes) / s per epoch; % of peak: of the single-thread f32x4 probe. ' +
  'peak RSS: process.resourceUsage().maxRSS of that process (tfjs holds the images as a float32 tensor, ours as u8 in wasm memory).';

/** Our variants: 1 and `threads` threads, strict and (when the runtime allows) relaxed SIMD. */
export function oursVariants(relaxed: boolean, threads = 2): { label: string; threads: number; simd: 'strict' | 'relaxed' }[] {
  const variants: { label: string; threads: number; simd: 'strict' | 'relaxed' }[] = [{ label: 'ours', threads: 1, simd: 'strict' }];
  if (threads > 1) variants.push({ label: `ours ${threads} threads`, threads, simd: 'strict' });
  if (relaxed) {
    variants.push({ label: 'ours relaxed', threads: 1, simd: 'relaxed' });
    if (threads > 1) variants.push({ label: `ours relaxed ${threads} threads`, threads, simd: 'relaxed' });
  }
  return variants;
}

export async function run(options: BenchOptions): Promise<BenchRow[]> {
  const peak = probePeak();
  const budgetSeconds = options.quick ? 1.5 : 12;
  const relaxedFlags = relaxedSimdFlags();
  const rows: BenchRow[] = [];
  for (const arch of ARCHS) {
    const flopPerImage = trainFlopPerImage(arch);
    for (const batchSize of batchSizes(options.quick)) {
      const runOne = (impl: TrainImpl, label: string, threads: number, simd: 'strict' | 'relaxed'): TrainResult => {
        process.stderr.write(`bench: train ${arch} batch ${batchSize} ${label}…\n`);
        const config: TrainConfig = {
          impl,
          arch,
          batchSize,
          budgetSeconds,
          ...(impl === 'ours' ? { threads, simd } : {}),
          ...(options.quick ? { maxSteps: 20 } : {}),
        };
        return runWorker(config, options.quick ? 120 : 600, simd === 'relaxed' ? (relaxedFlags ?? []) : []);
      };
      // Our variants run in rounds, each round every variant once in turn, so a slow minute of a
      // shared machine hits all of them; a variant's × is the median of its per-round ratios.
      const variants = oursVariants(relaxedFlags !== undefined, options.threads);
      const results = variants.map(() => [] as TrainResult[]);
      for (let round = 0; round < options.rounds; round++) {
        variants.forEach(({ label, threads, simd }, v) => results[v]!.push(runOne('ours', label, threads, simd)));
      }
      const base = results[0]!;
      const oursSeconds = median(base.filter((r) => r.ok).map((r) => r.secondsPerEpoch));
      const row = (label: string, impl: TrainImpl, r: TrainResult, runs: number, speedup: number): BenchRow => {
        const gflops = r.ok ? (flopPerImage * r.epochImages) / (r.secondsPerEpoch * 1e9) : Number.NaN;
        const timed = r.extrapolated
          ? `${r.steps} step${r.steps === 1 ? '' : 's'} (${r.images} images), extrapolated`
          : `full epoch (${r.steps} steps)`;
        return {
          model: arch,
          batch: batchSize,
          impl: label,
          's/epoch': r.ok ? round(r.secondsPerEpoch) : failureCell(r.error),
          'images/s': r.ok ? Math.round(r.imagesPerSecond) : '',
          '× ours 1 thread': Number.isFinite(speedup) ? round(speedup) : '',
          timed: r.ok ? (runs > 1 ? `median of ${runs} rounds; ${timed}` : timed) : '',
          'ours ×': r.ok && impl !== 'ours' && Number.isFinite(oursSeconds) ? round(r.secondsPerEpoch / oursSeconds) : '',
          'GFLOP/epoch': round((flopPerImage * 60_000) / 1e9),
          'GFLOP/s': r.ok ? round(gflops) : '',
          '% of peak': r.ok ? round((100 * gflops) / peak, 2) : '',
          'peak RSS MiB': Number.isFinite(r.peakRssMiB) ? Math.round(r.peakRssMiB) : '',
          loss: r.ok ? round(r.loss) : '',
          data: r.data,
        };
      };
      variants.forEach(({ label }, v) => {
        const runs = results[v]!;
        const ok = runs.filter((r) => r.ok);
        // The run whose s/epoch is the median stands for the variant; failed runs are shown only when none succeeded.
        const middle = median(ok.map((r) => r.secondsPerEpoch));
        const shown = ok.find((r) => r.secondsPerEpoch === middle) ?? runs[0]!;
        const ratios = runs.flatMap((r, i) => (v > 0 && r.ok && base[i]!.ok ? [r.imagesPerSecond / base[i]!.imagesPerSecond] : []));
        rows.push(row(label, 'ours', shown, ok.length, median(ratios)));
      });
      for (const impl of IMPLS.filter((i) => i !== 'ours')) rows.push(row(impl, impl, runOne(impl, impl, 1, 'strict'), 1, Number.NaN));
    }
  }
  rows.push({
    model: `peak_f32x4_probe: ${peak.toFixed(1)} GFLOP/s (the 100% of "% of peak")`,
  });
  return rows;
}
