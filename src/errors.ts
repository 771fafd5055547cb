/**
 * The typed errors of fmnist-wasm. Each names the file or argument at fault and the problem, in one
 * line, so the CLI can print `error.message` on stderr and exit with code 2.
 *
 * Shape mismatches of the core API stay the built-in `RangeError` (DESIGN.md fixes that).
 * Branch on `instanceof` or on the stable `code` string (which survives structured cloning to a
 * worker, where the prototype does not).
 */

/** How to get Fashion-MNIST without a download; appended to "not found" and "download failed" messages. */
export const HOW_TO_GET_DATA =
  'get the data with `apt-get install dataset-fashion-mnist` (files in /usr/share/datasets/fashion-mnist), ' +
  'or pass --data DIR (API: `dir`) or set FASHION_MNIST_DIR to a directory holding the four IDX files ' +
  '(raw or .gz) or the two CSV files';

/** The stable `code` of each error class. */
export type FmnistErrorCode = 'DATA_FORMAT' | 'DATA_NOT_FOUND' | 'DOWNLOAD' | 'MODEL_FILE' | 'TRAINING' | 'ARGUMENT' | 'DISPOSED';

/** Base class of every error fmnist-wasm throws on purpose (besides `RangeError` for shapes). */
export class FmnistError extends Error {
  /** Stable machine-readable kind, e.g. `'DATA_FORMAT'`. */
  readonly code: FmnistErrorCode;

  constructor(code: FmnistErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.name = new.target.name;
  }
}

/**
 * A data file (IDX, CSV or gzip) is malformed. The message reads
 * `FILE: PROBLEM` or, for a text file, `FILE: line N: PROBLEM`, e.g.
 * `train-images-idx3-ubyte.gz: truncated: header says 60000 images of 28x28 (47040016 bytes) but the file has 1000 bytes`.
 */
export class DataFormatError extends FmnistError {
  /** The file as it was named to the reader (a path, or the name given to a parser). */
  readonly file: string;
  /** 1-based line number in a text file (a header row counts as line 1), when the problem has one. */
  readonly row: number | undefined;
  /** The problem alone, without the file and row. */
  readonly problem: string;

  constructor(file: string, problem: string, row?: number, options?: { cause?: unknown }) {
    super('DATA_FORMAT', `${file}: ${row === undefined ? '' : `line ${row}: `}${problem}`, options);
    this.file = file;
    this.row = row;
    this.problem = problem;
  }
}

/**
 * Fashion-MNIST was not found: an explicitly named directory lacks the files, or nothing was found
 * anywhere and downloading was off. The message lists what was searched and how to get the data.
 */
export class DataNotFoundError extends FmnistError {
  /** Every place looked at, each with what was wrong there. */
  readonly searched: readonly string[];

  constructor(problem: string, searched: readonly string[]) {
    const where = searched.length > 0 ? `; searched: ${searched.join('; ')}` : '';
    super('DATA_NOT_FOUND', `Fashion-MNIST not found: ${problem}${where}. To fix: ${HOW_TO_GET_DATA}`);
    this.searched = searched;
  }
}

/** Downloading the dataset failed (network, HTTP status, or content that does not verify). Nothing partial is left behind. */
export class DownloadError extends FmnistError {
  /** The URL that failed. */
  readonly url: string;
  /** The problem alone. */
  readonly problem: string;

  constructor(url: string, problem: string, options?: { cause?: unknown }) {
    super('DOWNLOAD', `download of ${url} failed: ${problem}. Without a download: ${HOW_TO_GET_DATA}`, options);
    this.url = url;
    this.problem = problem;
  }
}

/** A saved model file cannot be read or written, or its content is not a valid model. */
export class ModelFileError extends FmnistError {
  readonly file: string;
  readonly problem: string;

  constructor(file: string, problem: string, options?: { cause?: unknown }) {
    super('MODEL_FILE', `${file}: ${problem}`, options);
    this.file = file;
    this.problem = problem;
  }
}

/** Training stopped: the loss became NaN or infinite (or another unrecoverable state). Names the epoch and batch. */
export class TrainingError extends FmnistError {
  /** 1-based epoch. */
  readonly epoch: number;
  /** 1-based batch within the epoch. */
  readonly batch: number;
  readonly problem: string;

  constructor(epoch: number, batch: number, problem: string, options?: { cause?: unknown }) {
    super('TRAINING', `training stopped at epoch ${epoch}, batch ${batch}: ${problem}`, options);
    this.epoch = epoch;
    this.batch = batch;
    this.problem = problem;
  }
}

/**
 * A CLI flag or API option is invalid. `argument` is written as the user wrote it
 * (`--batch-size`, or `limit` for the API).
 */
export class ArgumentError extends FmnistError {
  readonly argument: string;
  readonly problem: string;

  constructor(argument: string, problem: string) {
    super('ARGUMENT', `${argument}: ${problem}`);
    this.argument = argument;
    this.problem = problem;
  }
}

/**
 * An object was used after its `dispose()`: a core's kernels and typed-array functions throw it
 * (`object` is `'core'`). Load a new one instead.
 */
export class DisposedError extends FmnistError {
  /** What was disposed, e.g. `'core'`. */
  readonly object: string;
  readonly problem: string;

  constructor(object: string, problem: string) {
    super('DISPOSED', `${object}: ${problem}`);
    this.object = object;
    this.problem = problem;
  }
}

/**
 * A received value as error messages show it: `NaN`, `Infinity` and `undefined` as themselves
 * (JSON.stringify would print `null` for the first two, also inside arrays), everything else as JSON.
 */
export function describeValue(value: unknown): string {
  if (typeof value === 'number' && !Number.isFinite(value)) return String(value);
  if (value === undefined || typeof value === 'bigint' || typeof value === 'function' || typeof value === 'symbol') return String(value);
  if (Array.isArray(value)) return `[${value.map(describeValue).join(',')}]`;
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return Object.prototype.toString.call(value);
  }
}
