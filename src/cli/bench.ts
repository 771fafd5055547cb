/**
 * `fmnist bench`: runs the benchmark suite of a source checkout (bench/main.ts, the same as
 * `npm run bench`). The peers it measures (TensorFlow.js) are development dependencies, so an
 * installed package without them says so instead of failing half-way.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Command } from 'commander';
import { ArgumentError } from '../errors.js';
import { positiveInteger } from './options.js';

export function benchCommand(): Command {
  return new Command('bench')
    .description('microbenchmarks and end-to-end training speed against TensorFlow.js (from a source checkout)')
    .option('--quick', 'a short run (under 2 minutes)', false)
    .option('--json', 'print one JSON object on stdout', false)
    .option('--threads <n>', 'threads of our multi-threaded rows (default: all cores, at least 2)', positiveInteger)
    .option('--rounds <n>', 'train, profile, infer: run the variants N times, taking turns, and show medians (default 1)', positiveInteger)
    .option('--browser', 'infer: measure in Chromium (a cross-origin-isolated page) instead of Node', false)
    .argument('[families...]', 'only these benchmark families (e.g. gemm conv2d train)')
    .action(async (families: string[], flags: { quick: boolean; json: boolean; threads?: number; rounds?: number; browser: boolean }) => {
      const root = new URL('../../', import.meta.url);
      const entry = fileURLToPath(new URL('bench/main.ts', root));
      const tsx = fileURLToPath(new URL('node_modules/tsx/dist/cli.mjs', root));
      if (!existsSync(entry) || !existsSync(tsx)) {
        throw new ArgumentError(
          'bench',
          'the benchmarks run from a source checkout with its dev dependencies (git clone, npm ci, then `npx fmnist bench` or `npm run bench`)',
        );
      }
      const args = [
        tsx,
        entry,
        ...families,
        ...(flags.quick ? ['--quick'] : []),
        ...(flags.json ? ['--json'] : []),
        ...(flags.threads === undefined ? [] : ['--threads', String(flags.threads)]),
        ...(flags.rounds === undefined ? [] : ['--rounds', String(flags.rounds)]),
        ...(flags.browser ? ['--browser'] : []),
      ];
      const code = await new Promise<number>((resolve) => {
        spawn(process.execPath, args, { stdio: 'inherit', cwd: fileURLToPath(root) }).on('exit', (status) => resolve(status ?? 1));
      });
      if (code !== 0) process.exitCode = code;
    });
}
