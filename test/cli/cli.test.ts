// The fmnist command as a user runs it (the built dist/, as `npm test` builds it first): exit codes,
// one-line errors that name the argument or file, --json giving exactly one JSON object, and a
// train → save → evaluate → predict round trip on the real data.
import { mkdtemp, readFile, readdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { expectUsageError, fmnist } from '../helpers/cli.js';

const TEST_IMAGES = '/usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'fmnist-cli-'));
});

describe('fmnist: bad arguments and bad input exit 2 with one line naming the problem', () => {
  it('rejects bad option values', async () => {
    expectUsageError(await fmnist('train', '--model', 'resnet'), /--model.*resnet/);
    expectUsageError(await fmnist('train', '--model', 'mlp', '--epochs', 'abc'), /--epochs.*expected a positive integer, got 'abc'/);
    expectUsageError(await fmnist('train', '--model', 'mlp', '--epochs', '0'), /--epochs.*got '0'/);
    expectUsageError(await fmnist('train', '--model', 'mlp', '--lr', '-1'), /--lr.*expected a positive number/);
    expectUsageError(await fmnist('train', '--model', 'mlp', '--hidden', '300,x'), /--hidden.*comma-separated positive integers/);
    expectUsageError(await fmnist('train', '--model', 'mlp', '--optimizer', 'rmsprop'), /--optimizer.*sgd, momentum, adam/);
    expectUsageError(await fmnist('train'), /--model: required/);
    expectUsageError(await fmnist('train', '--preset', 'best', '--model', 'mlp'), /--preset best trains cnn, got --model mlp/);
    expectUsageError(await fmnist('train', '--preset', 'fastest'), /--preset.*fastest/);
    expectUsageError(await fmnist('train', '--model', 'cnn', '--filters', '32,0'), /--filters/);
    expectUsageError(await fmnist('reproduce', '--rows', '7'), /--rows: the paper's table has rows 1 to 6, got 7/);
    expectUsageError(await fmnist('frobnicate'), /unknown command 'frobnicate'/);
  });

  it('names a data directory that lacks the files', async () => {
    expectUsageError(await fmnist('train', '--model', 'mlp', '--data', dir), new RegExp(`${dir}.*train-images-idx3-ubyte`));
  });

  it('names a model file that is missing or corrupt', async () => {
    expectUsageError(await fmnist('evaluate', '--load', join(dir, 'missing.fmnist')), /missing\.fmnist/);
    const corrupt = join(dir, 'corrupt.fmnist');
    await writeFile(corrupt, 'not a model');
    expectUsageError(await fmnist('evaluate', '--load', corrupt), /corrupt\.fmnist/);
  });

  it('prints help and the version with exit 0', async () => {
    const help = await fmnist('--help');
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/train.*\n.*evaluate.*\n.*predict.*\n.*reproduce.*\n.*bench/s);
    const version = await fmnist('--version');
    expect(version.stdout.trim()).toBe(JSON.parse(await readFile(new URL('../../package.json', import.meta.url), 'utf8')).version);
  });
});

describe('fmnist on the real Fashion-MNIST', () => {
  it('trains, saves, evaluates and predicts the same labels', async () => {
    const model = join(dir, 'scratch.fmnist');
    const train = await fmnist(
      'train',
      '--model',
      'scratch-mlp',
      '--epochs',
      '1',
      '--limit',
      '6000',
      '--seed',
      '3',
      '--save',
      model,
      '--json',
    );
    expect(train.code).toBe(0);
    const result = JSON.parse(train.stdout);
    expect(result.testAccuracy).toBeGreaterThan(0.7);
    expect(result.testAccuracy).toBeLessThanOrEqual(1);
    expect(result.testLoss).toBeGreaterThan(0);
    expect(result.epochs).toBe(1);
    expect(result.seed).toBe(3);
    expect(result.secondsPerEpoch).toBeGreaterThan(0);
    expect(result.imagesPerSecond).toBeGreaterThan(0);
    expect(result.perClass).toHaveLength(10);
    expect(result.perClass[9]).toMatchObject({ name: 'Ankle boot', support: 1000 });
    expect(result.confusionMatrix).toHaveLength(10);
    const total = result.confusionMatrix.flat().reduce((a: number, b: number) => a + b, 0);
    expect(total).toBe(10000);
    const diagonal = result.confusionMatrix.reduce((sum: number, row: number[], i: number) => sum + row[i]!, 0);
    expect(diagonal / total).toBeCloseTo(result.testAccuracy, 10);

    const evaluate = await fmnist('evaluate', '--load', model, '--json');
    expect(evaluate.code).toBe(0);
    const evaluation = JSON.parse(evaluate.stdout);
    expect(evaluation.testAccuracy).toBe(result.testAccuracy);
    expect(evaluation.confusionMatrix).toEqual(result.confusionMatrix);
    expect(evaluation).toMatchObject({ seed: 3, epochs: null, secondsPerEpoch: null, images: 10000 });

    const predict = await fmnist('predict', '--load', model, '--json', TEST_IMAGES);
    expect(predict.code).toBe(0);
    const predictions = JSON.parse(predict.stdout).predictions as { label: number }[];
    expect(predictions).toHaveLength(10000);
    // The predicted-class column sums of the confusion matrix, recomputed from predict's labels.
    const predictedCounts = Array.from({ length: 10 }, (_, c) => predictions.filter((p) => p.label === c).length);
    expect(predictedCounts).toEqual(
      result.confusionMatrix[0].map((_: number, c: number) =>
        result.confusionMatrix.reduce((sum: number, row: number[]) => sum + row[c]!, 0),
      ),
    );
  });

  it('writes the reproduce report (Markdown, JSON, SVG) and says the run was capped', async () => {
    const out = join(dir, 'reproduce');
    const run = await fmnist('reproduce', '--rows', '1', '--epochs', '1', '--limit', '3000', '--out', out);
    expect(run.code).toBe(0);
    expect((await readdir(out)).sort()).toEqual(['accuracy.svg', 'report.json', 'report.md']);
    const report = JSON.parse(await readFile(join(out, 'report.json'), 'utf8'));
    expect(report.epochCap).toBe(1);
    expect(report.rows).toHaveLength(1);
    expect(report.rows[0]).toMatchObject({ row: 1, paperAccuracy: 0.87, epochsRun: 1, paperEpochs: 500 });
    expect(report.rows[0].testAccuracyPerEpoch).toHaveLength(1);
    const markdown = await readFile(join(out, 'report.md'), 'utf8');
    expect(markdown).toMatch(/Quick run: every row capped at 1 epochs/);
    expect(markdown).toMatch(/\| Paper's figure first reached \|/);
    expect(markdown).toMatch(/\| 1 \| scratch-mlp 784-300-10, sigmoid, sgd lr 0.001, batch 15, sum loss \| 87.0% \|/);
    expect(await readFile(join(out, 'accuracy.svg'), 'utf8')).toMatch(/^<svg[^>]*>.*<\/svg>$/s);
  });

  it('reproduce --jobs 2 runs the rows side by side with the results of one after another, bit for bit', async () => {
    const common = ['reproduce', '--rows', '2,5,1', '--epochs', '1', '--limit', '450', '--seed', '3', '--json'];
    const [alone, sideBySide] = await Promise.all([
      fmnist(...common, '--threads', '1', '--out', join(dir, 'rows-alone')),
      fmnist(...common, '--jobs', '2', '--out', join(dir, 'rows-side-by-side')),
    ]);
    expect(alone.code, alone.stderr).toBe(0);
    expect(sideBySide.code, sideBySide.stderr).toBe(0);
    const [a, b] = [JSON.parse(alone.stdout), JSON.parse(sideBySide.stdout)];
    expect(b).toMatchObject({ jobs: 2, threads: 1, trainImages: 450 });
    expect(a.jobs).toBeUndefined();
    // Rows in table order, whatever order they finished in.
    expect(b.rows.map((r: { row: number }) => r.row)).toEqual([1, 2, 5]);
    const outcome = (r: { row: number; accuracy: number; testLoss: number; testAccuracyPerEpoch: number[] }) => [
      r.row,
      r.accuracy,
      r.testLoss,
      r.testAccuracyPerEpoch,
    ];
    expect(b.rows.map(outcome)).toEqual(a.rows.map(outcome));
    const markdown = await readFile(join(dir, 'rows-side-by-side', 'report.md'), 'utf8');
    expect(markdown).toMatch(/1 thread per row, strict SIMD, 2 rows side by side in their own processes/);
  });
});
