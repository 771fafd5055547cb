/** Strict parsers for CLI option values: a bad value is an exit-2 error naming the option. */
import { InvalidArgumentError } from 'commander';

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
    throw new InvalidArgumentError(`expected a file or directory name, got the option-like '${value}' (for a name starting with '-', write ./${value})`);
  }
  if (value === '') throw new InvalidArgumentError('expected a file or directory name, got an empty string');
  return value;
}
