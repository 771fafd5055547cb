#!/usr/bin/env node
/**
 * The `fmnist` command. Exit codes: 0 success, 2 bad arguments or bad input (one line on stderr
 * naming the argument or file), 1 anything else (an internal error: set FMNIST_DEBUG=1 for the stack);
 * 130 / 143 after SIGINT / SIGTERM during a save (util/write-atomic.ts removes the temporary file);
 * `bench` passes on its benchmark run's code.
 */
import { readFileSync } from 'node:fs';
import { Command, CommanderError } from 'commander';
import { FmnistError } from '../errors.js';
import { cut } from '../util/schema.js';
import { UnsupportedRuntimeError } from '../core/load.js';
import { benchCommand } from './bench.js';
import { evaluateCommand } from './evaluate.js';
import { exportCommand } from './export.js';
import { importCommand } from './import.js';
import { predictCommand } from './predict.js';
import { reproduceCommand } from './reproduce.js';
import { trainCommand } from './train.js';

const { version } = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };

export function program(): Command {
  const root = new Command('fmnist')
    .description('Train and evaluate the networks of "Classification of Fashion MNIST Data using Neural Networks" on a wasm SIMD core')
    .version(version)
    .exitOverride();
  for (const command of [
    trainCommand(),
    evaluateCommand(),
    predictCommand(),
    reproduceCommand(),
    benchCommand(),
    exportCommand(),
    importCommand(),
  ]) {
    root.addCommand(command.exitOverride());
  }
  return root;
}

async function main(argv: string[]): Promise<number> {
  try {
    await program().parseAsync(argv);
    // A command that ran a child (bench) reports its failure through process.exitCode.
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (error) {
    if (error instanceof CommanderError) {
      // Commander has printed its one-line message already; help and --version end with 0.
      return error.exitCode === 0 ? 0 : 2;
    }
    if (error instanceof FmnistError || error instanceof RangeError || error instanceof UnsupportedRuntimeError) {
      process.stderr.write(`fmnist: ${oneLine(error.message)}\n`);
      return 2;
    }
    const message = error instanceof Error ? error.message : String(error);
    process.stderr.write(`fmnist: internal error: ${oneLine(message)}\n`);
    if (process.env.FMNIST_DEBUG) process.stderr.write(`${(error as Error).stack}\n`);
    return 1;
  }
}

/** At most this many characters of an error line: a hostile file's 50 MB name must not flood the terminal. */
const MAX_ERROR_LINE = 1000;

/** The message as one line of at most MAX_ERROR_LINE characters. */
function oneLine(message: string): string {
  return cut(message.replace(/\s*\n\s*/g, ' '), MAX_ERROR_LINE);
}

process.exitCode = await main(process.argv);
