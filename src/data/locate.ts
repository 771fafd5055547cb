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
import { lstatSync, statSync } from 'node:fs';
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

/** The files of the test split alone (what evaluating a saved model reads). */
export type TestFiles = { format: 'idx'; testImages: string; testLabels: string } | { format: 'csv'; test: string };

/** Which splits a search needs: both (training) or the test split alone (evaluation). */
export type Splits = 'all' | 'test';

/** A directory holding a complete copy of the dataset (or of the test split, for `splits: 'test'`). */
export interface DataLocation<Files extends DataFiles | TestFiles = DataFiles> {
  dir: string;
  origin: DataOrigin;
  files: Files;
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
export interface LocateResult<Files extends DataFiles | TestFiles = DataFiles> {
  location: DataLocation<Files> | undefined;
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

/**
 * Why `path` is not a readable regular file: `missing`, or what it is instead (a directory, a
 * symbolic link loop, a dangling link), so a bad data directory is not reported as an empty one.
 */
function fileProblem(path: string): 'missing' | string | undefined {
  try {
    const stats = statSync(path);
    if (stats.isFile()) return undefined;
    return stats.isDirectory() ? 'is a directory' : 'is not a regular file';
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ELOOP') return 'is a symbolic link loop';
    if (code !== 'ENOENT') return `cannot be read (${code ?? (error as Error).message})`;
    try {
      lstatSync(path);
      return 'is a symbolic link to nothing';
    } catch {
      return 'missing';
    }
  }
}

/** The file named `name` or `name.gz` in `dir` (raw first: it loads faster), or undefined. */
export function findFile(dir: string, name: string): string | undefined {
  for (const candidate of [join(dir, name), join(dir, `${name}.gz`)]) if (fileProblem(candidate) === undefined) return candidate;
  return undefined;
}

/** `name[.gz] is a directory` for each of `names` present in `dir` as something other than a file. */
function notFiles(dir: string, names: readonly string[]): string[] {
  return names
    .flatMap((name) => [name, `${name}.gz`])
    .map((name) => [name, fileProblem(join(dir, name))] as const)
    .filter(([, problem]) => problem !== undefined && problem !== 'missing')
    .map(([name, problem]) => `${name} ${problem}`);
}

const SPLIT_FILES = {
  all: { idx: ['trainImages', 'trainLabels', 'testImages', 'testLabels'], csv: ['train', 'test'] },
  test: { idx: ['testImages', 'testLabels'], csv: ['test'] },
} as const satisfies Record<Splits, { idx: readonly (keyof typeof IDX_FILES)[]; csv: readonly (keyof typeof CSV_FILES)[] }>;

/**
 * Looks at one directory: the dataset's files when it holds a complete copy of `splits` (IDX
 * preferred over CSV), else what is wrong (`does not exist`, `lacks ...`, `... is a directory`).
 */
export function inspectDir(dir: string): { files: DataFiles } | { problem: string };
export function inspectDir(dir: string, splits: Splits): { files: DataFiles | TestFiles } | { problem: string };
export function inspectDir(dir: string, splits: Splits = 'all'): { files: DataFiles | TestFiles } | { problem: string } {
  let isDir: boolean;
  try {
    isDir = statSync(dir).isDirectory();
  } catch (error) {
    return { problem: (error as NodeJS.ErrnoException).code === 'ELOOP' ? 'is a symbolic link loop' : 'does not exist' };
  }
  if (!isDir) return { problem: 'is not a directory' };

  const wanted = SPLIT_FILES[splits];
  const idx = Object.fromEntries(wanted.idx.map((key) => [key, findFile(dir, IDX_FILES[key])]));
  if (wanted.idx.every((key) => idx[key] !== undefined)) return { files: { format: 'idx', ...idx } as DataFiles | TestFiles };
  const csv = Object.fromEntries(wanted.csv.map((key) => [key, findFile(dir, CSV_FILES[key])]));
  if (wanted.csv.every((key) => csv[key] !== undefined)) return { files: { format: 'csv', ...csv } as DataFiles | TestFiles };

  const missingIdx = wanted.idx.filter((key) => idx[key] === undefined).map((key) => `${IDX_FILES[key]}[.gz]`);
  const presentCsv = wanted.csv.filter((key) => csv[key] !== undefined).map((key) => CSV_FILES[key]);
  const missingCsv = wanted.csv.filter((key) => csv[key] === undefined).map((key) => CSV_FILES[key]);
  const csvNote =
    presentCsv.length > 0 ? ` (has ${presentCsv.join(', ')} but lacks ${missingCsv.join(', ')})` : ` (nor ${missingCsv.join(' + ')})`;
  const odd = notFiles(dir, [...wanted.idx.map((key) => IDX_FILES[key]), ...wanted.csv.map((key) => CSV_FILES[key])]);
  return { problem: `lacks ${missingIdx.join(', ')}${csvNote}${odd.length > 0 ? `; ${odd.join(', ')}` : ''}` };
}

/**
 * Searches for the dataset (or, with `splits: 'test'`, its test split) in DESIGN.md's order and
 * returns the first complete directory.
 * @throws DataNotFoundError when the directory named by `dir` or FASHION_MNIST_DIR lacks the files
 */
export function locateFashionMnist(options?: LocateOptions): LocateResult;
export function locateFashionMnist(options: LocateOptions, splits: 'test'): LocateResult<TestFiles>;
export function locateFashionMnist(options: LocateOptions = {}, splits: Splits = 'all'): LocateResult<DataFiles | TestFiles> {
  const searched: string[] = [];
  for (const { dir, origin } of searchDirs(options)) {
    const found = inspectDir(dir, splits);
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
