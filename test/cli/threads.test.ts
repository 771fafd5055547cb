// `--threads` and `--simd` on the CLI (the built dist/): a seeded training run saves byte-identical
// model files on 1, 2 and 3 threads (more threads than this 2-core machine has), --json and the
// summary say what ran, and bad values exit 2 naming the option before any data is read.
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { hasRelaxedSimd } from '../../src/core/load.js';
import { expectUsageError, fmnist } from '../helpers/cli.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'fmnist-cli-threads-'));
});

describe('fmnist train --threads N', () => {
  it.each(['mlp', 'cnn'])('%s: the same model file on 1, 2 and 3 threads; --json says how many ran', async (model) => {
    const files: Buffer[] = [];
    for (const threads of [1, 2, 3]) {
      const save = join(dir, `${model}-${threads}.fmnist`);
      const run = await fmnist(
        'train',
        '--model',
        model,
        '--epochs',
        '1',
        '--limit',
        '1500',
        '--batch-size',
        '64',
        '--seed',
        '3',
        '--threads',
        String(threads),
        '--simd',
        'strict',
        '--save',
        save,
        '--json',
      );
      expect(run.code, run.stderr).toBe(0);
      const json = JSON.parse(run.stdout) as { threads: number; simd: string; testAccuracy: number };
      expect(json.threads).toBe(threads);
      expect(json.simd).toBe('strict');
      files.push(await readFile(save));
    }
    expect(files[1]!.equals(files[0]!)).toBe(true);
    expect(files[2]!.equals(files[0]!)).toBe(true);
  });

  it('the summary line names the threads and the SIMD build; evaluate takes --threads too', async () => {
    const save = join(dir, 'summary.fmnist');
    const run = await fmnist(
      'train',
      '--model',
      'scratch-mlp',
      '--epochs',
      '1',
      '--limit',
      '1000',
      '--threads',
      '2',
      '--simd',
      'strict',
      '--save',
      save,
    );
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/images\/s \(2 threads, strict SIMD\)/);
    expect(run.stderr).toMatch(/scratch-mlp \[2 threads\] epoch 1\/1/);
    const evaluated = await fmnist('evaluate', '--load', save, '--threads', '1', '--json');
    expect(evaluated.code, evaluated.stderr).toBe(0);
    expect((JSON.parse(evaluated.stdout) as { threads: number }).threads).toBe(1);
  });

  it('refuses bad values before reading any data', async () => {
    expectUsageError(await fmnist('train', '--model', 'mlp', '--threads', '0'), /--threads.*expected a positive integer, got '0'/);
    expectUsageError(await fmnist('train', '--model', 'mlp', '--threads', 'two'), /--threads.*got 'two'/);
    expectUsageError(await fmnist('train', '--model', 'mlp', '--simd', 'fast'), /--simd.*auto, strict, relaxed/);
    expectUsageError(await fmnist('reproduce', '--threads', '-1'), /--threads/);
    expectUsageError(await fmnist('evaluate', '--load', 'x.fmnist', '--simd', 'fast'), /--simd/);
    // This test process and the CLI child run the same Node with the same flags.
    if (!hasRelaxedSimd())
      expectUsageError(await fmnist('train', '--model', 'mlp', '--simd', 'relaxed'), /--simd: relaxed needs WebAssembly relaxed SIMD/);
  });
});
