/** Strict parsers for CLI option values: a bad value is an exit-2 error naming the option. */
import { InvalidArgumentError } from 'commander';
import type { LearningRateScheduleConfig } from '../models/training-config.js';
import type { AugmentOptions } from '../train/fit.js';

export function positiveInteger(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value.trim()) || !Number.isSafeInteger(n) || n <= 0) {
    throw new InvalidArgumentError(`expected a positive integer, got '${value}'`);
  }
  return n;
}

export function nonNegativeInteger(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value.trim()) || !Number.isSafeInteger(n)) {
    throw new InvalidArgumentError(`expected a non-negative integer, got '${value}'`);
  }
  return n;
}

export function positiveNumber(value: string): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || n <= 0) {
    throw new InvalidArgumentError(`expected a positive number, got '${value}'`);
  }
  return n;
}

/** "300,200,75" → [300, 200, 75]. */
export function integerList(value: string): number[] {
  const parts = value.split(',');
  if (parts.some((p) => !/^\s*\d+\s*$/.test(p) || Number(p) <= 0)) {
    throw new InvalidArgumentError(`expected comma-separated positive integers such as 300,200,75, got '${value}'`);
  }
  return parts.map(Number);
}

export function oneOf<T extends string>(choices: readonly T[]): (value: string) => T {
  return (value: string) => {
    if (!(choices as readonly string[]).includes(value)) {
      throw new InvalidArgumentError(`expected one of ${choices.join(', ')}, got '${value}'`);
    }
    return value as T;
  };
}

/**
 * A file or directory name. A value starting with `-` is refused: `--save --json` would otherwise
 * write a model named `--json`, and `--data --limit 2000` would read `--limit` as the directory.
 */
export function pathValue(value: string): string {
  if (value.startsWith('-')) {
    throw new InvalidArgumentError(
      `expected a file or directory name, got the option-like '${value}' (for a name starting with '-', write ./${value})`,
    );
  }
  if (value === '') throw new InvalidArgumentError('expected a file or directory name, got an empty string');
  return value;
}

/** A fraction strictly between 0 and 1, e.g. `0.1`. */
export function fraction(value: string): number {
  const n = Number(value);
  if (value.trim() === '' || !(n > 0 && n < 1))
    throw new InvalidArgumentError(`expected a number between 0 and 1 (exclusive), got '${value}'`);
  return n;
}

/** A rate in [0, 1), e.g. a dropout rate `0.25`. */
export function rate(value: string): number {
  const n = Number(value);
  if (value.trim() === '' || !(n >= 0 && n < 1)) throw new InvalidArgumentError(`expected a rate in [0, 1), got '${value}'`);
  return n;
}

/** `cosine`, `step:EPOCHS:FACTOR` (e.g. step:3:0.5) or `plateau`. */
export function learningRateSchedule(value: string): LearningRateScheduleConfig {
  if (value === 'cosine' || value === 'plateau') return { type: value };
  const step = /^step:(\d+):([0-9.eE+-]+)$/.exec(value);
  if (step) {
    const epochs = Number(step[1]);
    const factor = Number(step[2]);
    if (Number.isSafeInteger(epochs) && epochs > 0 && Number.isFinite(factor) && factor > 0) return { type: 'step', epochs, factor };
  }
  throw new InvalidArgumentError(
    `expected cosine, plateau or step:EPOCHS:FACTOR (e.g. step:3:0.5, EPOCHS a positive integer, FACTOR a positive number), got '${value}'`,
  );
}

/** `shift:N`, `flip` or both, comma-separated (e.g. shift:2,flip). */
export function augmentation(value: string): AugmentOptions {
  let shift = 0;
  let flip = false;
  for (const part of value.split(',')) {
    const match = /^shift:(\d+)$/.exec(part.trim());
    if (match && Number(match[1]) <= 27) shift = Number(match[1]);
    else if (part.trim() === 'flip') flip = true;
    else throw new InvalidArgumentError(`expected shift:N (N in 0..27 pixels), flip, or both as shift:N,flip, got '${value}'`);
  }
  return { shift, flip };
}
