/**
 * A small schema checker for the JSON headers and manifests we read (checkpoint headers, model-file
 * headers, TF.js model.json): each check takes an unknown value and its path (`config.batchSize`)
 * and returns it typed, or throws a `SchemaProblem` naming the path. The file's reader turns that
 * into its own typed error naming the file, before any data is used. Pure: works in browsers.
 */

export class SchemaProblem extends Error {
  constructor(
    readonly path: string,
    readonly problem: string,
  ) {
    super(path === '' ? problem : `${path}: ${problem}`);
    this.name = 'SchemaProblem';
  }
}

export type Check<T> = (value: unknown, path: string) => T;

/** At most this many characters of a value in a message (a hostile file may hold a 50 MB string). */
const SHOWN = 60;

/** A value as a message shows it: JSON, cut to `SHOWN` characters. */
export function shown(value: unknown): string {
  let text: string;
  try {
    text = value === undefined ? 'undefined' : (JSON.stringify(value) ?? String(value));
  } catch {
    text = String(value);
  }
  return cut(text);
}

/** `text` cut to `max` characters, with an ellipsis. */
export function cut(text: string, max = SHOWN): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

function fail(path: string, expected: string, value: unknown): never {
  throw new SchemaProblem(path, `expected ${expected}, got ${value === undefined ? 'nothing' : shown(value)}`);
}

export const string: Check<string> = (value, path) => (typeof value === 'string' ? value : fail(path, 'a string', value));

export const boolean: Check<boolean> = (value, path) => (typeof value === 'boolean' ? value : fail(path, 'true or false', value));

/** A finite number in [min, max] (`exclusiveMin`: above min). */
export function number(options: { min?: number; max?: number; exclusiveMin?: boolean; exclusiveMax?: boolean } = {}): Check<number> {
  const { min = -Infinity, max = Infinity, exclusiveMin = false, exclusiveMax = false } = options;
  const range = `a finite number${Number.isFinite(min) ? ` ${exclusiveMin ? '>' : '≥'} ${min}` : ''}${Number.isFinite(max) ? ` and ${exclusiveMax ? '<' : '≤'} ${max}` : ''}`;
  return (value, path) =>
    typeof value === 'number' &&
    Number.isFinite(value) &&
    (exclusiveMin ? value > min : value >= min) &&
    (exclusiveMax ? value < max : value <= max)
      ? value
      : fail(path, range, value);
}

/** An integer in [min, max]. */
export function integer(min = 0, max = Number.MAX_SAFE_INTEGER): Check<number> {
  return (value, path) =>
    Number.isSafeInteger(value) && (value as number) >= min && (value as number) <= max
      ? (value as number)
      : fail(path, `an integer in ${min}..${max}`, value);
}

export function literal<T extends string | number | boolean | null>(...allowed: readonly T[]): Check<T> {
  return (value, path) => (allowed.includes(value as T) ? (value as T) : fail(path, `one of ${allowed.map(shown).join(', ')}`, value));
}

export function array<T>(item: Check<T>, options: { min?: number; max?: number } = {}): Check<T[]> {
  const { min = 0, max = Number.MAX_SAFE_INTEGER } = options;
  return (value, path) => {
    if (!Array.isArray(value)) return fail(path, 'a list', value);
    if (value.length < min || value.length > max) {
      throw new SchemaProblem(path, `expected ${min === max ? min : `${min}..${max}`} entries, got ${value.length}`);
    }
    return value.map((entry, i) => item(entry, `${path}[${i}]`));
  };
}

/** A plain object (not null, not a list). */
export function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

type Shape = Record<string, Check<unknown>>;
type Checked<S extends Shape> = { [K in keyof S]: ReturnType<S[K]> };

/**
 * An object whose listed keys pass their checks (an `optional` check lets a key be absent); other
 * keys are kept as they are when `open`, else refused.
 */
export function object<S extends Shape>(shape: S, options: { open?: boolean } = {}): Check<Checked<S>> {
  return (value, path) => {
    if (!isObject(value)) return fail(path, 'an object', value);
    if (!options.open) {
      const unknown = Object.keys(value).find((key) => !(key in shape));
      if (unknown !== undefined) throw new SchemaProblem(path, `unexpected key ${shown(unknown)}`);
    }
    const out: Record<string, unknown> = options.open ? { ...value } : {};
    for (const [key, check] of Object.entries(shape)) {
      const checked = check(value[key], path === '' ? key : `${path}.${key}`);
      if (checked !== undefined) out[key] = checked;
    }
    return out as Checked<S>;
  };
}

/** Absent (undefined) or passing `check`. */
export function optional<T>(check: Check<T>): Check<T | undefined> {
  return (value, path) => (value === undefined ? undefined : check(value, path));
}

export function nullable<T>(check: Check<T>): Check<T | null> {
  return (value, path) => (value === null ? null : check(value, path));
}

/** An object of any keys whose values pass `check`. */
export function record<T>(check: Check<T>): Check<Record<string, T>> {
  return (value, path) => {
    if (!isObject(value)) return fail(path, 'an object', value);
    return Object.fromEntries(Object.entries(value).map(([key, v]) => [key, check(v, `${path}.${cut(key, 30)}`)]));
  };
}

/** The first of `checks` whose discriminating `key` matches: `{ type: 'step', ... }`. */
export function tagged<T>(key: string, variants: Record<string, Check<T>>): Check<T> {
  return (value, path) => {
    if (!isObject(value)) return fail(path, 'an object', value);
    const tag = value[key];
    const variant = typeof tag === 'string' && Object.hasOwn(variants, tag) ? variants[tag] : undefined;
    if (variant === undefined) return fail(`${path}.${key}`, `one of ${Object.keys(variants).map(shown).join(', ')}`, tag);
    return variant(value, path);
  };
}
