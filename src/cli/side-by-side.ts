/**
 * `fmnist reproduce --jobs N`: the rows run side by side, each in a child process of this same
 * command (`fmnist reproduce --rows R --json`, its own core and threads), longest row first, so N
 * cores each train a row on one thread instead of one row on N threads (a row's 2-thread speed-up
 * at batch 15 is 1.2-1.7x; two rows side by side come closer to 2x). Each row's results are the
 * bits the same row gives on its own: a row depends only on its settings and the seed.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { PaperRow } from '../reproduce/presets.js';
import type { ReproduceReport, RowResult } from '../reproduce/report.js';
import { onTerminationSignal } from '../util/signals.js';

export interface SideBySideOptions {
  jobs: number;
  /** The child's arguments after `reproduce --rows R --json --out DIR` (the run's other flags). */
  flags: string[];
  /** Expected cost of a row (any unit): rows start longest first. */
  cost(row: PaperRow): number;
  /** Called as each row finishes, in finishing order, with the child's report. */
  onRow(result: RowResult, child: ReproduceReport): Promise<void>;
  /** Called as each row starts. */
  onStart?(row: PaperRow): void;
}

/**
 * Runs `rows` in `options.jobs` child processes at a time.
 * @throws Error naming the row and the child's message when a child fails (the others are stopped).
 */
export async function runRowsSideBySide(rows: readonly PaperRow[], options: SideBySideOptions): Promise<void> {
  const queue = [...rows].sort((a, b) => options.cost(b) - options.cost(a));
  const children = new Set<ChildProcess>();
  const scratch = await mkdtemp(join(tmpdir(), 'fmnist-reproduce-'));
  // The children would finish their rows unseen after the parent is gone: stop them with it.
  const stopWatching = onTerminationSignal((signal) => {
    for (const child of children) child.kill(signal);
  });
  let failure: Error | undefined;
  const runOne = async (row: PaperRow): Promise<void> => {
    options.onStart?.(row);
    const out = join(scratch, `row-${row.row}`);
    const args = [...process.execArgv, process.argv[1]!, 'reproduce', '--rows', String(row.row), '--json', '--out', out, ...options.flags];
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    children.add(child);
    const stdout: string[] = [];
    const stderr: string[] = [];
    child.stdout!.setEncoding('utf8').on('data', (text: string) => stdout.push(text));
    child.stderr!.setEncoding('utf8').on('data', (text: string) => stderr.push(text));
    const code = await new Promise<number>((resolve) => {
      child.on('error', (error) => {
        stderr.push(error.message);
        resolve(1);
      });
      child.on('close', (status, signal) => resolve(status ?? (signal ? 128 : 1)));
    });
    children.delete(child);
    if (code !== 0) {
      const message =
        stderr
          .join('')
          .trim()
          .split('\n')
          .at(-1)
          ?.replace(/^fmnist: /, '') ?? '';
      throw new Error(`row ${row.row} failed in its process (exit ${code}): ${message || 'no message'}`);
    }
    const report = JSON.parse(stdout.join('')) as ReproduceReport;
    const result = report.rows[0];
    if (result === undefined || result.row !== row.row) throw new Error(`row ${row.row}: its process reported no result for the row`);
    await options.onRow(result, report);
  };
  const slot = async (): Promise<void> => {
    for (let row = queue.shift(); row !== undefined && failure === undefined; row = queue.shift()) {
      try {
        await runOne(row);
      } catch (error) {
        failure ??= error as Error;
        for (const child of children) child.kill('SIGTERM');
      }
    }
  };
  try {
    await Promise.all(Array.from({ length: Math.min(options.jobs, rows.length) }, slot));
  } finally {
    stopWatching();
    await rm(scratch, { recursive: true, force: true });
  }
  if (failure !== undefined) throw failure;
}
