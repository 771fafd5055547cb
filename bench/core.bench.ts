// The wasm core itself: file size and start-up (compile + instantiate from bytes, as a page does
// after fetching it), beside TensorFlow.js' wasm backend binary (compile only: instantiating it
// needs its Emscripten glue). A fresh module each iteration; nothing is cached across calls.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { instantiateCore } from '../src/core/load.js';
import { measure, msCell, speedup } from './harness.js';
import type { BenchOptions, BenchRow } from './types.js';

export const legend =
  "ours: compile + instantiate through loadCore's path from the bytes in memory (file read excluded). " +
  'tfjs-wasm: WebAssembly.compile of tfjs-backend-wasm-simd.wasm (its instantiation needs the Emscripten glue, not timed). ' +
  'Median of fresh compiles.';

export async function run(options: BenchOptions): Promise<BenchRow[]> {
  const ours = readFileSync(new URL('../build/release.wasm', import.meta.url));
  const tfjsPath = createRequire(import.meta.url).resolve('@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm');
  const tfjs = readFileSync(tfjsPath);
  const label = (impl: string) => ({ family: 'core', kernel: 'compile+instantiate', shape: 'release.wasm', impl });
  const oursTime = await measure(() => instantiateCore({ wasm: ours }), options, label('ours'));
  const tfjsTime = await measure(() => WebAssembly.compile(tfjs), options, { ...label('tfjs-wasm'), kernel: 'compile' });
  const rows: BenchRow[] = [
    { module: 'fmnist-wasm release.wasm', 'size KiB': ours.byteLength / 1024, 'start-up ms': msCell(oursTime), target: '< 50 ms' },
    {
      module: 'tfjs-backend-wasm-simd.wasm',
      'size KiB': tfjs.byteLength / 1024,
      'start-up ms': `${msCell(tfjsTime)} (compile only)`,
      'ours faster ×': speedup(oursTime, tfjsTime),
    },
  ];
  // The other builds (threads, relaxed SIMD): compile only, as each worker of a pool compiles or
  // receives the module; the relaxed ones compile only where the runtime has relaxed SIMD.
  for (const build of ['release-shared', 'release-relaxed', 'release-relaxed-shared']) {
    const bytes = readFileSync(new URL(`../build/${build}.wasm`, import.meta.url));
    const runs = build === 'release-shared' || WebAssembly.validate(bytes);
    const time = runs
      ? `${msCell(await measure(() => WebAssembly.compile(bytes), options, { ...label('ours'), kernel: 'compile', shape: `${build}.wasm` }))} (compile only)`
      : 'no relaxed SIMD in this runtime';
    rows.push({ module: `fmnist-wasm ${build}.wasm`, 'size KiB': bytes.byteLength / 1024, 'start-up ms': time });
  }
  return rows;
}
