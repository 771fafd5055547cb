// The TensorFlow.js peer (4.22, from devDependencies), in the same process as ours.
//
// Backends: 'wasm' (@tensorflow/tfjs-backend-wasm: XNNPACK compiled to wasm; in Node it reports
// SIMD on and threads off) and 'cpu' (@tensorflow/tfjs-backend-cpu: plain JavaScript loops).
// The wasm backend finds its .wasm files through setWasmPaths(), given the package's own dist/
// directory (a path ending in '/'); nothing is fetched. @tensorflow/tfjs-node does not work here.
//
// Synchronous timing: tfjs ops return as soon as the kernel is queued on some backends, so every
// timed call reads each output back with dataSync(), which waits for the kernel to finish and
// copies the result out, then disposes the tensors (tf.tidy for the intermediates). The
// read-back is part of every tfjs figure; ours leave their results in wasm memory.
import { createRequire } from 'node:module';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import { guarded, measure, type Measurement, type PeerName, type Stats, type Timing } from '../harness.js';
import type { BenchOptions } from '../types.js';

export { tf };

export type TfjsBackend = 'wasm' | 'cpu';

const require = createRequire(import.meta.url);

/** node_modules/@tensorflow/tfjs-backend-wasm/dist/, with the trailing '/' setWasmPaths needs. */
export function wasmDistDir(): string {
  return path.join(path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json')), 'dist') + path.sep;
}

let wasmPathsSet = false;

/** Makes `backend` the current tfjs backend (initialising it once) and returns tf. */
export async function useBackend(backend: TfjsBackend): Promise<typeof tf> {
  if (backend === 'wasm' && !wasmPathsSet) {
    setWasmPaths(wasmDistDir());
    wasmPathsSet = true;
  }
  if (tf.getBackend() !== backend) {
    const ok = await tf.setBackend(backend);
    if (!ok) throw new Error(`tfjs: backend '${backend}' failed to initialise`);
  }
  await tf.ready();
  return tf;
}

/** 'tfjs-wasm' / 'tfjs-cpu': the column names. */
export function peerName(backend: TfjsBackend): 'tfjs-wasm' | 'tfjs-cpu' {
  return backend === 'wasm' ? 'tfjs-wasm' : 'tfjs-cpu';
}

/** Whether `backend` registers a kernel named `kernelName` (e.g. 'Conv2DBackpropFilter'). */
export function hasKernel(kernelName: string, backend: TfjsBackend): boolean {
  return tf.getKernel(kernelName, backend) !== undefined;
}

/** The first kernel of `kernelNames` the backend lacks, if any. */
export function missingKernel(kernelNames: readonly string[], backend: TfjsBackend): string | undefined {
  return kernelNames.find((name) => !hasKernel(name, backend));
}

/**
 * A synchronous timed call: runs `op` in tf.tidy, reads every output back with dataSync()
 * (waiting for completion), then disposes the outputs. Returns the last output's values.
 */
export function synchronous(op: () => tf.Tensor | tf.Tensor[] | tf.TensorContainer): () => Float32Array {
  return () => {
    const out = tf.tidy(op as () => tf.TensorContainer);
    const tensors = flatten(out);
    let last: Float32Array = new Float32Array(0);
    for (const t of tensors) {
      last = t.dataSync() as Float32Array;
      t.dispose();
    }
    return last;
  };
}

function flatten(c: tf.TensorContainer): tf.Tensor[] {
  if (c instanceof tf.Tensor) return [c];
  if (Array.isArray(c)) return c.flatMap(flatten);
  if (c !== null && typeof c === 'object') return Object.values(c as Record<string, tf.TensorContainer>).flatMap(flatten);
  return [];
}

/** Runs a kernel directly, as tfjs' gradient functions do (conv2DBackpropFilter, maxPoolGrad…). */
export function runKernel<T extends tf.Tensor>(kernelName: string, inputs: tf.NamedTensorMap, attrs: Record<string, unknown>): T {
  return tf.engine().runKernel<T>(kernelName, inputs, attrs as never);
}

/** Versions of the tfjs packages in use (for the results file). */
export function tfjsVersions(): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of [
    '@tensorflow/tfjs',
    '@tensorflow/tfjs-core',
    '@tensorflow/tfjs-layers',
    '@tensorflow/tfjs-backend-wasm',
    '@tensorflow/tfjs-backend-cpu',
  ]) {
    try {
      out[name] = (require(`${name}/package.json`) as { version: string }).version;
    } catch {
      out[name] = 'not installed';
    }
  }
  return out;
}

/** The flags that matter for the figures (SIMD, threads), once the wasm backend is up. */
export function tfjsFlags(): Record<string, unknown> {
  const flags = tf.env().getFlags();
  return { WASM_HAS_SIMD_SUPPORT: flags.WASM_HAS_SIMD_SUPPORT, WASM_HAS_MULTITHREAD_SUPPORT: flags.WASM_HAS_MULTITHREAD_SUPPORT };
}

/** One peer operation, built afresh on each backend. */
export interface PeerCase {
  /** The tfjs kernels the operation runs: a backend lacking one gets "no kernel (<name>)". */
  kernels: readonly string[];
  /** Creates the inputs on the current backend; `run` is the timed body (made synchronous here). */
  setup(t: typeof tf): { run: () => tf.TensorContainer; dispose?: () => void };
  /** Checks the last output once before timing; returns '' or a note such as "MISMATCH …". */
  check?(values: Float32Array): string;
  /** Only these backends (default: all of BACKENDS). */
  backends?: readonly TfjsBackend[];
}

export const BACKENDS: readonly TfjsBackend[] = ['wasm', 'cpu'];

/** Times `c` on every backend (tfjs-wasm, tfjs-cpu). Notes name mismatches and failures. */
export async function measurePeers(
  c: PeerCase,
  options: BenchOptions,
  label: Omit<Measurement, keyof Stats | 'impl'>,
): Promise<{ timings: Partial<Record<PeerName, Timing>>; notes: string[] }> {
  const timings: Partial<Record<PeerName, Timing>> = {};
  const notes: string[] = [];
  for (const backend of c.backends ?? BACKENDS) {
    const name = peerName(backend);
    await useBackend(backend);
    const missing = missingKernel(c.kernels, backend);
    if (missing !== undefined) {
      timings[name] = `no kernel (${missing})`;
      continue;
    }
    timings[name] = await guarded(`${label.kernel} ${label.shape} ${name}`, async () => {
      const { run, dispose } = c.setup(tf);
      try {
        const call = synchronous(run);
        const note = c.check?.(call()) ?? '';
        if (note) notes.push(`${name}: ${note}`);
        return await measure(call, options, { ...label, impl: name });
      } finally {
        dispose?.();
      }
    });
  }
  return { timings, notes };
}
