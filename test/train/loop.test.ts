// The training loop on its own: runFit drives a Stepper (here a fake one recording its calls), so the
// batching, the shuffle, the validation calls and the NaN stop are checked without a model.
import { describe, expect, it } from 'vitest';
import { TrainingError } from '../../src/errors.js';
import { fitSettings, runFit, type FitControl, type ImageSet, type Stepper } from '../../src/train/fit.js';

/** The loop's control object, as a model gives it (no callback stops training here). */
const control = (): FitControl => ({ stopTraining: false, learningRate: 0.01 });

const set = (count: number): ImageSet => ({ images: new Uint8Array(count * 4), labels: new Uint8Array(count), count, rows: 2, cols: 2 });

/** A stepper over an order of `count` entries; losses[i] is the loss of the i-th forwardLoss call (default 1). */
function fakeStepper(count: number, options: { losses?: number[]; validate?: boolean } = {}) {
  const order = new Int32Array(count);
  const calls: string[] = [];
  const batches: number[][] = [];
  let forwards = 0;
  const stepper: Stepper = {
    order: (n) => order.subarray(0, n),
    forwardLoss(start, rows) {
      calls.push(`forward ${start} ${rows}`);
      batches.push(Array.from(order.subarray(start, start + rows)));
      return { loss: options.losses?.[forwards++] ?? 1, correct: rows };
    },
    backwardStep(rows) {
      calls.push(`backward ${rows}`);
    },
    validate: options.validate
      ? () => {
          calls.push('validate');
          return { loss: 0.5, accuracy: 0.75 };
        }
      : undefined,
    evaluateOrder(start, rows) {
      calls.push(`evaluate ${start} ${rows}`);
      return { loss: 0.25, accuracy: 0.5 };
    },
  };
  return { stepper, calls, batches };
}

describe('runFit over a stepper', () => {
  it('steps through every image once per epoch in batches, the last one partial, then validates', async () => {
    const { stepper, calls, batches } = fakeStepper(10, { validate: true });
    const history = await runFit(stepper, fitSettings(set(10), { epochs: 2, batchSize: 4, seed: 5 }, 0), control());
    expect(calls).toEqual([
      'forward 0 4',
      'backward 4',
      'forward 4 4',
      'backward 4',
      'forward 8 2',
      'backward 2',
      'validate',
      'forward 0 4',
      'backward 4',
      'forward 4 4',
      'backward 4',
      'forward 8 2',
      'backward 2',
      'validate',
    ]);
    for (const epoch of [batches.slice(0, 3), batches.slice(3)])
      expect(epoch.flat().sort((a, b) => a - b)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(batches.slice(0, 3).flat()).not.toEqual(batches.slice(3).flat()); // reshuffled
    expect(history.history.valAccuracy).toEqual([0.75, 0.75]);
    expect(history.history.accuracy).toEqual([1, 1]);
  });

  it('gives the same order for the same seed whatever ran before, and keeps it with shuffle: false', async () => {
    const a = fakeStepper(7);
    await runFit(a.stepper, fitSettings(set(7), { epochs: 1, batchSize: 7, seed: 11 }, 0), control());
    const b = fakeStepper(7);
    b.stepper.order(7).fill(3); // a stale order from an earlier fit
    await runFit(b.stepper, fitSettings(set(7), { epochs: 1, batchSize: 7, seed: 11 }, 0), control());
    expect(b.batches).toEqual(a.batches);
    const c = fakeStepper(7);
    await runFit(c.stepper, fitSettings(set(7), { epochs: 1, batchSize: 3, shuffle: false }, 0), control());
    expect(c.batches).toEqual([[0, 1, 2], [3, 4, 5], [6]]);
  });

  it('stops at a NaN loss before that batch is applied, naming epoch and batch', async () => {
    const { stepper, calls } = fakeStepper(6, { losses: [1, 1, 1, Number.NaN] });
    const error = await runFit(stepper, fitSettings(set(6), { epochs: 3, batchSize: 2 }, 0), control()).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TrainingError);
    expect((error as TrainingError).message).toMatch(/epoch 2, batch 1: the loss is NaN/);
    expect(calls.at(-1)).toBe('forward 0 2');
    expect(calls.filter((c) => c.startsWith('backward'))).toHaveLength(3);
  });

  it('trains on the first `limit` images only', async () => {
    const { stepper, calls } = fakeStepper(10);
    await runFit(stepper, fitSettings(set(10), { batchSize: 4, limit: 5 }, 0), control());
    expect(calls).toEqual(['forward 0 4', 'backward 4', 'forward 4 1', 'backward 1']);
  });
});
