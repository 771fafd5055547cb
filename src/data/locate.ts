/**
 * Where Fashion-MNIST lives on this machine (Node only). The search order is DESIGN.md's:
 *   1. the `dir` option (CLI `--data DIR`)         origin 'option'
 *   2. the environment variable FASHION_MNIST_DIR   origin 'env'
 *   3. ./data/fashion-mnist, relative to the cwd     origin 'cwd'
 *   4. /usr/share/datasets/fashion-mnist (Debian's `dataset-fashion-mnist`)   origin 'system'
 *   5. the download cache, $XDG_CACHE_HOME/fmnist-wasm or ~/.cache/fmnist-wasm  origin 'cache'
 * A directory named by 1 or 2 is the only one looked at: if it lacks the files that is an error,
 * never a fall-back to another directory or a silent download.
 */
import { statSync } from 'node:fs';
import { homedir } from 'node:os';
import { isAbsolute, join, resolve } from 'node:path';
import { DataNotFoundError } from '../errors.js';
import { CSV_FILES, IDX_FILES } from './classes.js';

export { CSV_FILES, IDX_FILES };

/** Where Debian's `dataset-fashion-mnist` installs the IDX files. */
export const SYSTEM_DATA_DIR = '/usr/share/datasets/fashion-mnist';

/** Which step of the search order found (or is) a directory. */
export type DataOrigin = 'option' | 'env' | 'cwd' | 'system' | 'cache';

/** The files of a data directory, as absolute paths. */
export type DataFiles =
  | { format: 'idx'; trainImages: string; trainLabels: string; testImages: string; testLabels: string }
  | { format: 'csv'; train: string; test: string };

/** A directory holding a complete copy of the dataset. */
export interface DataLocation {
  dir: string;
  origin: DataOrigin;
  files: DataFiles;
}

/** Inputs of the search; everything but `dir` exists so tests (and embedders) can replace the machine's defaults. */
export interface LocateOptions {
  /** An explicit data directory (CLI `--data`); relative to `cwd`. */
  dir?: string;
  /** Environment to read FASHION_MNIST_DIR and XDG_CACHE_HOME from; default `process.env`. */
  env?: Readonly<Record<string, string | undefined>>;
  /** Base of relative paths; default `process.cwd()`. */
  cwd?: string;
  /** The system directory; default {@link SYSTEM_DATA_DIR}. */
  systemDir?: string;
  /** The download cache; default {@link defaultCacheDir}. */
  cacheDir?: string;
}

/** A directory to look at and how it got on the list. */
export interface SearchDir {
  dir: string;
  origin: DataOrigin;
}

/** The result of a search: the first complete directory, and a line per directory looked at. */
export interface LocateResult {
  location: DataLocation | undefined;
  /** `DIR (origin): what was there`, in search order, up to and including the one found. */
  searched: string[];
}

/** `$XDG_CACHE_HOME/fmnist-wasm` when XDG_CACHE_HOME is an absolute path (as the XDG spec requires), else `~/.cache/fmnist-wasm`. */
export function defaultCacheDir(env: Readonly<Record<string, string | undefined>> = process.env): string {
  const xdg = env['XDG_CACHE_HOME'];
  return xdg !== undefined && isAbsolute(xdg) ? join(xdg, 'fmnist-wasm') : join(homedir(), '.cache', 'fmnist-wasm');
}

/**
 * The directories to search, in order. With `dir` or FASHION_MNIST_DIR set (non-empty), that one
 * directory only.
 */
export function searchDirs(options: LocateOptions = {}): SearchDir[] {
  const env = options.env ?? process.env;
  const cwd = options.cwd ?? process.cwd();
  if (options.dir !== undefined) return [{ dir: resolve(cwd, options.dir), origin: 'option' }];
  const fromEnv = env['FASHION_MNIST_DIR'];
  if (fromEnv !== undefined && fromEnv !== '') return [{ dir: resolve(cwd, fromEnv), origin: 'env' }];
  return [
    { dir: resolve(cwd, 'data', 'fashion-mnist'), origin: 'cwd' },
    { dir: options.systemDir ?? SYSTEM_DATA_DIR, origin: 'system' },
    { dir: options.cacheDir ?? defaultCacheDir(env), origin: 'cache' },
  ];
}

function isFile(path: string): boolean {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

/** The file named `name` or `name.gz` in `dir` (raw first: it loads faster), or undefined. */
export function findFile(dir: string, name: string): string | undefined {
  for (const candidate of [join(dir, name), join(dir, `${name}.gz`)]) if (isFile(candidate)) return candidate;
  return undefined;
}

/**
 * Looks at one directory: the dataset's files when it holds a complete copy (IDX preferred over
 * CSV), else what is wrong (`does not exist`, `lacks ...`).
 */
export function inspectDir(dir: string): { files: DataFiles } | { problem: string } {
  let isDir: boolean;
  try {
    isDir = statSync(dir).isDirectory();
  } catch {
    return { problem: 'does not exist' };
  }
  if (!isDir) return { problem: 'is not a directory' };

  const idx = {
    trainImages: findFile(dir, IDX_FILES.trainImages),
    trainLabels: findFile(dir, IDX_FILES.trainLabels),
    testImages: findFile(dir, IDX_FILES.testImages),
    testLabels: findFile(dir, IDX_FILES.testLabels),
  };
  if (idx.trainImages && idx.trainLabels && idx.testImages && idx.testLabels) {
    return {
      files: {
        format: 'idx',
        trainImages: idx.trainImages,
        trainLabels: idx.trainLabels,
        testImages: idx.testImages,
        testLabels: idx.testLabels,
      },
    };
  }
  const train = findFile(dir, CSV_FILES.train);
  const test = findFile(dir, CSV_FILES.test);
  if (train && test) return { files: { format: 'csv', train, test } };

  const missingIdx = (Object.keys(IDX_FILES) as (keyof typeof IDX_FILES)[])
    .filter((key) => idx[key] === undefined)
    .map((key) => `${IDX_FILES[key]}[.gz]`);
  const csvNote =
    train || test
      ? ` (has ${train ? CSV_FILES.train : CSV_FILES.test} but lacks ${train ? CSV_FILES.test : CSV_FILES.train})`
      : ` (nor ${CSV_FILES.train} + ${CSV_FILES.test})`;
  return { problem: `lacks ${missingIdx.join(', ')}${csvNote}` };
}

/**
 * Searches for the dataset in DESIGN.md's order and returns the first complete directory.
 * @throws DataNotFoundError when the directory named by `dir` or FASHION_MNIST_DIR lacks the files
 */
export function locateFashionMnist(options: LocateOptions = {}): LocateResult {
  const searched: string[] = [];
  for (const { dir, origin } of searchDirs(options)) {
    const found = inspectDir(dir);
    if ('files' in found) {
      searched.push(`${dir} (${origin}): found ${found.files.format.toUpperCase()} files`);
      return { location: { dir, origin, files: found.files }, searched };
    }
    const named = origin === 'option' ? '--data' : origin === 'env' ? 'FASHION_MNIST_DIR' : undefined;
    if (named !== undefined) {
      // found.problem already lists the missing files; HOW_TO_GET_DATA follows in the message.
      throw new DataNotFoundError(`${named} ${dir} ${found.problem}`, []);
    }
    searched.push(`${dir} (${origin}): ${found.problem}`);
  }
  return { location: undefined, searched };
}
