/** The types every benchmark family shares with the runner (bench/main.ts), kept apart so no import goes in a circle. */

export interface BenchOptions {
  /** Fewer shapes and a shorter time budget per task (smoke runs, CI). */
  quick: boolean;
  /** Threads of our multi-threaded variants (`--threads N`; default: os.availableParallelism(), at least 2). */
  threads: number;
  /** Rounds of our training runs, train and profile families (`--rounds N`, default 1): medians of runs taking turns. */
  rounds: number;
  /** Run in Chromium instead of Node (`--browser`; the families that have a browser form: infer). */
  browser?: boolean;
}

/** One table row: column name → value (numbers are formatted to 3 significant digits). */
export type BenchRow = Record<string, string | number>;

export type BenchFamily = (options: BenchOptions) => Promise<BenchRow[]>;

/** A family module: `run` gives the rows; `legend`, if exported, is printed under the table. */
export interface BenchModule {
  run: BenchFamily;
  legend?: string;
}
