/**
 * Checks of a command's options that need more than one flag or the file system, run before any
 * data is loaded so that a bad command line fails at once and names the option (not an internal
 * buffer, not after an hour of training).
 */
import { accessSync, constants, statSync, type Stats } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { ArgumentError } from '../errors.js';
import { architectureLayers, type ArchitectureName, type ArchitectureOptions } from '../models/architectures.js';
import { plannedSizes } from '../models/plan.js';
import type { OptimizerName } from '../train/optimizers.js';

/**
 * That `path` can be written by an atomic save (a temporary file beside it, then a rename): it is not
 * a directory, and its directory exists and is writable, or can be made (the nearest existing
 * ancestor is a writable directory: the command creates what is missing before it writes).
 * @throws ArgumentError naming `option` and the real path at fault otherwise.
 */
export function checkOutputFile(option: string, path: string): void {
  const existing = statOrProblem(path);
  if (typeof existing === 'string') {
    if (existing !== 'ENOENT') throw new ArgumentError(option, `cannot write ${path}: ${existing}`);
  } else if (existing.isDirectory()) {
    throw new ArgumentError(option, `${path} is a directory; name a file in it, e.g. ${join(path, 'model.fmnist')}`);
  }
  let dir = dirname(path);
  let parent = statOrProblem(dir);
  while (parent === 'ENOENT' && dirname(dir) !== dir) {
    dir = dirname(dir);
    parent = statOrProblem(dir);
  }
  if (typeof parent === 'string')
    throw new ArgumentError(option, `cannot write ${path}: ${dir}: ${parent === 'ENOENT' ? 'no such directory' : parent}`);
  if (!parent.isDirectory()) throw new ArgumentError(option, `cannot write ${path}: ${dir} is not a directory`);
  try {
    accessSync(dir, constants.W_OK);
  } catch (error) {
    throw new ArgumentError(
      option,
      `cannot write ${path}: the directory ${dir} is not writable (${(error as NodeJS.ErrnoException).code})`,
    );
  }
}

/** Makes the missing directories above `path` (after `checkOutputFile` passed), just before writing. */
export async function makeParentDirectories(option: string, path: string): Promise<void> {
  try {
    await mkdir(dirname(path), { recursive: true });
  } catch (error) {
    throw new ArgumentError(
      option,
      `cannot create the directory ${dirname(path)}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`,
    );
  }
}

function statOrProblem(path: string): Stats | string {
  try {
    return statSync(path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return code;
    if (code === 'ENOTDIR') return 'a part of the path is not a directory';
    if (code === 'ELOOP') return 'the path is a symbolic link loop';
    return (error as Error).message;
  }
}

/** The architecture options of `fmnist train`, as flags, and the models each one shapes. */
const ARCHITECTURE_FLAGS: Readonly<Record<keyof ArchitectureOptions, { flag: string; models: readonly ArchitectureName[] }>> = {
  hidden: { flag: '--hidden', models: ['scratch-mlp', 'mlp', 'cnn'] },
  activation: { flag: '--activation', models: ['mlp', 'cnn'] },
  filters: { flag: '--filters', models: ['cnn'] },
  kernelSize: { flag: '--kernel-size', models: ['cnn'] },
  padding: { flag: '--padding', models: ['cnn'] },
  dropout: { flag: '--dropout', models: ['mlp', 'cnn'] },
  batchNorm: { flag: '--batch-norm', models: ['mlp', 'cnn'] },
};

/**
 * That every architecture option given on the command line shapes one of the models it is for
 * (scratch-mlp is always sigmoid; only cnn has convolutions), instead of being silently ignored.
 * `where` names what chose the models in the message (`--model mlp`, `--rows 1,2`).
 * @throws ArgumentError naming the first option that does not apply, and `where`.
 */
export function checkOptionsApply(given: ArchitectureOptions, models: readonly ArchitectureName[], where: string): void {
  for (const [key, { flag, models: shaped }] of Object.entries(ARCHITECTURE_FLAGS)) {
    if (given[key as keyof ArchitectureOptions] !== undefined && !models.some((model) => shaped.includes(model))) {
      throw new ArgumentError(flag, `does not apply to ${where} (it shapes ${shaped.join(', ')})`);
    }
  }
}

/** The most a wasm32 core can address. */
const WASM32_BYTES = 2 ** 32;

/**
 * That the model's parameters (with their gradients and optimizer state) and one batch of its
 * activations can fit in a wasm32 core, from the layers' own shapes. The bound is a lower bound of
 * what training plans, so it refuses only what can never run, and names the option to change.
 * Architecture options the factory refuses are reported under their flag (`--hidden`).
 * @throws ArgumentError naming `--hidden`/`--filters`/`--kernel-size` or `--batch-size`.
 */
export function checkFitsInMemory(run: {
  architecture: ArchitectureName;
  architectureOptions: ArchitectureOptions;
  optimizer: OptimizerName;
  batchSize: number;
}): void {
  let layers: ReturnType<typeof architectureLayers>;
  try {
    layers = architectureLayers(run.architecture, run.architectureOptions);
  } catch (error) {
    const flag = error instanceof ArgumentError ? ARCHITECTURE_FLAGS[error.argument as keyof ArchitectureOptions]?.flag : undefined;
    if (flag === undefined) throw error;
    throw new ArgumentError(flag, (error as ArgumentError).problem);
  }
  let sizes: ReturnType<typeof plannedSizes>;
  try {
    sizes = plannedSizes(layers.inputShape, layers.layers, run.optimizer);
  } catch {
    return; // a shape that does not fit (e.g. a kernel larger than the image): the model's own build names it
  }
  const { parameters, parameterBytes, bytesPerSample } = sizes;
  if (parameterBytes >= WASM32_BYTES) {
    const given = (['hidden', 'filters', 'kernelSize'] as const).filter((key) => run.architectureOptions[key] !== undefined);
    const flags = given.map((key) => ARCHITECTURE_FLAGS[key].flag).join(', ') || '--model';
    throw new ArgumentError(
      flags,
      `${parameters} parameters need ${gigabytes(parameterBytes)} with their gradients and ${run.optimizer} state, ` +
        `more than the 4 GiB a wasm32 core can address; use smaller layers`,
    );
  }
  const batchBytes = run.batchSize * bytesPerSample;
  if (parameterBytes + batchBytes >= WASM32_BYTES) {
    const fits = Math.floor((WASM32_BYTES - parameterBytes) / bytesPerSample);
    throw new ArgumentError(
      '--batch-size',
      `a batch of ${run.batchSize} images needs at least ${gigabytes(batchBytes)} of activations and their gradients, ` +
        `more than the 4 GiB a wasm32 core can address with this model (at most ${fits} images can fit)`,
    );
  }
}

function gigabytes(bytes: number): string {
  return `${(bytes / 2 ** 30).toFixed(1)} GiB`;
}
