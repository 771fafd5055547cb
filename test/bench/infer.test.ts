// Smoke test of the inference benchmark (bench/infer*.ts): a briefly trained model goes through its
// three runners (ours on our model file, onnxruntime-web on our ONNX export, TF.js-wasm on our TF.js
// export) in this process; each yields one time per call, and the peers' probabilities match ours,
// as the benchmark's note reports. No assertion depends on a speed.
import { describe, expect, it } from 'vitest';
import { trainInferModel } from '../../bench/infer-models.js';
import { makeRunner, type InferImpl } from '../../bench/infer-runner.js';
import type { ImageSet } from '../../src/data/index.js';

/** Random images with labels: the benchmark's speed does not depend on real data, nor does this test. */
function randomSplit(count: number, seed: number): ImageSet {
  let s = seed;
  const next = () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s >>> 24;
  };
  const images = new Uint8Array(count * 784).map(next);
  const labels = new Uint8Array(count).map(() => next() % 10);
  return { images, labels, count, rows: 28, cols: 28 };
}

describe('bench infer', () => {
  it.each(['scratch-mlp', 'cnn'] as const)(
    'runs %s through ours, onnxruntime-web and TF.js-wasm, which agree',
    async (name) => {
      const data = { train: randomSplit(64, 1), test: randomSplit(1000, 2) };
      const model = await trainInferModel(name, data, 64, 1);
      expect(model.onnx.length).toBeGreaterThan(0);
      const assets = {
        ort: new URL('../../node_modules/onnxruntime-web/dist/', import.meta.url).pathname,
        tfjs: new URL('../../node_modules/@tensorflow/tfjs-backend-wasm/dist/', import.meta.url).pathname,
      };
      const probabilities = new Map<InferImpl, Float32Array>();
      for (const impl of ['ours', 'onnxruntime-web', 'tfjs-wasm'] as const) {
        const runner = await makeRunner({ impl, threads: 1, model, images: data.test.images, assets });
        const singles = await runner.singles(3, 4);
        expect(singles.length).toBe(4);
        expect(singles.every((ms) => ms >= 0)).toBe(true);
        const batches = await runner.batches(0, 25, 10);
        expect(batches.length).toBe(3);
        probabilities.set(impl, await runner.probabilities(0, 20));
      }
      const ours = probabilities.get('ours')!;
      expect(ours.length).toBe(200);
      for (const peer of ['onnxruntime-web', 'tfjs-wasm'] as const) {
        const got = probabilities.get(peer)!;
        expect(got.length).toBe(200);
        for (let i = 0; i < ours.length; i++) expect(Math.abs(got[i]! - ours[i]!)).toBeLessThan(1e-5);
      }
    },
    120_000,
  );
});
