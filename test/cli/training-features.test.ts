// fmnist train's training features as a user runs them (the built dist/): --validation-split,
// --early-stopping, --lr-schedule, --augment, --dropout, --batch-norm; their usage errors; --json
// carrying the validation metrics; a model file that keeps the new layers.
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { TRAINING_PRESETS } from '../../src/models/training.js';
import { expectUsageError, fmnist } from '../helpers/cli.js';

describe('fmnist train: training-feature flags', () => {
  it('refuses bad values and combinations, naming the option', async () => {
    expectUsageError(await fmnist('train', '--model', 'mlp', '--validation-split', '1'), /--validation-split.*between 0 and 1/);
    expectUsageError(await fmnist('train', '--model', 'mlp', '--early-stopping', '-2'), /--early-stopping.*non-negative integer/);
    expectUsageError(await fmnist('train', '--model', 'mlp', '--early-stopping', '2'), /--early-stopping: needs --validation-split/);
    expectUsageError(
      await fmnist('train', '--model', 'mlp', '--lr-schedule', 'plateau'),
      /--lr-schedule: plateau needs --validation-split/,
    );
    expectUsageError(
      await fmnist('train', '--model', 'mlp', '--lr-schedule', 'linear'),
      /--lr-schedule.*cosine, plateau or step:EPOCHS:FACTOR/,
    );
    expectUsageError(await fmnist('train', '--model', 'mlp', '--lr-schedule', 'step:2:x'), /--lr-schedule.*got 'step:2:x'/);
    expectUsageError(await fmnist('train', '--model', 'mlp', '--augment', 'shift:30'), /--augment.*shift:N \(N in 0..27/);
    expectUsageError(await fmnist('train', '--model', 'mlp', '--dropout', '1'), /--dropout.*rate in \[0, 1\)/);
    expectUsageError(
      await fmnist('train', '--model', 'scratch-mlp', '--batch-norm'),
      /--batch-norm: does not apply to --model scratch-mlp/,
    );
  });

  it('trains with every feature on, reports the validation metrics in --json and saves the new layers', async () => {
    const save = join(await mkdtemp(join(tmpdir(), 'fmnist-features-')), 'model.fmnist');
    const run = await fmnist(
      'train',
      '--model',
      'mlp',
      '--hidden',
      '64',
      '--dropout',
      '0.2',
      '--batch-norm',
      '--limit',
      '3000',
      '--epochs',
      '6',
      '--validation-split',
      '0.2',
      '--early-stopping',
      '1',
      '--lr-schedule',
      'step:2:0.5',
      '--augment',
      'shift:1,flip',
      '--seed',
      '3',
      '--save',
      save,
      '--json',
    );
    expect(run.code, run.stderr).toBe(0);
    const out = JSON.parse(run.stdout);
    expect(out.trainImages).toBe(2400);
    expect(out.validationSplit).toBe(0.2);
    expect(out.augment).toEqual({ shift: 1, flip: true });
    expect(out.architecture.options).toMatchObject({ dropout: 0.2, batchNorm: true });
    const valLoss: number[] = out.history.valLoss;
    expect(valLoss).toHaveLength(out.epochsTrained);
    expect(out.history.valAccuracy).toHaveLength(out.epochsTrained);
    // Early stopping keeps the best epoch: the reported validation loss is the minimum.
    expect(out.valLoss).toBe(Math.min(...valLoss));
    expect(out.stoppedEarly).toBe(out.epochsTrained < 6);
    // The validation split is not the test set, and the augmented, regularised model learns.
    expect(out.valLoss).not.toBe(out.testLoss);
    expect(out.testAccuracy).toBeGreaterThan(0.6);
    const evaluated = await fmnist('evaluate', '--load', save, '--json');
    expect(evaluated.code, evaluated.stderr).toBe(0);
    expect(JSON.parse(evaluated.stdout).testAccuracy).toBe(out.testAccuracy);
  });

  it('same seed, same flags: the same result, bit for bit', async () => {
    const args = [
      'train',
      '--model',
      'cnn',
      '--filters',
      '4',
      '--hidden',
      '16',
      '--batch-norm',
      '--dropout',
      '0.3',
      '--limit',
      '600',
      '--epochs',
      '2',
      '--validation-split',
      '0.1',
      '--lr-schedule',
      'cosine',
      '--augment',
      'shift:2,flip',
      '--seed',
      '5',
      '--json',
    ];
    const [a, b] = [await fmnist(...args), await fmnist(...args)];
    expect(a.code, a.stderr).toBe(0);
    const [ja, jb] = [JSON.parse(a.stdout), JSON.parse(b.stdout)];
    expect(jb.history.loss).toEqual(ja.history.loss);
    expect(jb.history.valLoss).toEqual(ja.history.valLoss);
    expect(jb.testLoss).toBe(ja.testLoss);
  });

  it("--preset best trains with the preset's validation split, schedule and augmentation; flags given override them", async () => {
    const best = TRAINING_PRESETS.best;
    const quick = ['train', '--preset', 'best', '--limit', '320', '--epochs', '1', '--json'];
    const preset = await fmnist(...quick);
    expect(preset.code, preset.stderr).toBe(0);
    const out = JSON.parse(preset.stdout);
    expect(out).toMatchObject({
      model: 'cnn',
      batchSize: best.batchSize,
      validationSplit: best.validationSplit,
      learningRateSchedule: best.learningRateSchedule,
      augment: best.augment,
      optimizer: best.optimizer,
      architecture: { options: best.architectureOptions },
    });
    const overridden = await fmnist(...quick, '--validation-split', '0.25', '--augment', 'shift:3', '--lr-schedule', 'step:1:0.5');
    expect(overridden.code, overridden.stderr).toBe(0);
    expect(JSON.parse(overridden.stdout)).toMatchObject({
      validationSplit: 0.25,
      augment: { shift: 3, flip: false },
      learningRateSchedule: { type: 'step', epochs: 1, factor: 0.5 },
    });
  });
});
