/** `--threads` and `--simd`, shared by the commands that run the core (train, evaluate, predict, reproduce). */
import { availableParallelism } from 'node:os';
import type { Command } from 'commander';
import type { Core } from '../core/index.js';
import { hasRelaxedSimd } from '../core/load.js';
import { ArgumentError } from '../errors.js';
import { oneOf, positiveInteger } from './options.js';

export const SIMD_MODES = ['auto', 'strict', 'relaxed'] as const;
export type SimdMode = (typeof SIMD_MODES)[number];

export interface CoreFlags {
  threads?: number;
  simd: SimdMode;
}

/** Adds `--threads N` (default: every core) and `--simd strict|relaxed|auto` (default strict) to `command`. */
export function withCoreOptions(command: Command): Command {
  return command
    .option(
      '--threads <n>',
      `threads the kernels use, this one included (default: all cores, ${availableParallelism()} here)`,
      positiveInteger,
    )
    .option(
      '--simd <mode>',
      'strict: SIMD128, the same bits on every runtime and machine; relaxed: the FMA build (a few percent faster, last bits differ) or fail; auto: relaxed when the runtime has it',
      oneOf(SIMD_MODES),
      'strict',
    );
}

/** The loadCore options the flags ask for, with the thread count resolved (so progress can show it). */
export function coreSettings(flags: CoreFlags): { threads: number; simd: SimdMode } {
  // Checked before any data is read, so the refusal comes first.
  if (flags.simd === 'relaxed' && !hasRelaxedSimd()) {
    throw new ArgumentError(
      '--simd',
      'relaxed needs WebAssembly relaxed SIMD, which this runtime lacks (Node >= 22, or Node 20 with --experimental-wasm-relaxed-simd); use auto or strict',
    );
  }
  return { threads: flags.threads ?? availableParallelism(), simd: flags.simd };
}

/** "2 threads, strict SIMD" */
export function describeCore(core: Pick<Core, 'threads' | 'simd'>): string {
  return `${core.threads} thread${core.threads === 1 ? '' : 's'}, ${core.simd} SIMD`;
}
