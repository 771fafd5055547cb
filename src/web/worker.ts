/**
 * The demo's training worker: loads the data and the wasm core, trains, reports progress, and
 * evaluates, so the page stays responsive. Protocol in protocol.ts.
 *
 * Stopping: a `stop` message sets a flag. Messages only arrive when this worker returns to its event
 * loop, so onBatchEnd yields (a MessageChannel round trip, no timer clamping) at most every 50 ms,
 * then throws `StopTraining` if the flag is set; `fit` unwinds and the model, trained so far, is
 * evaluated as usual. The page also keeps `terminate()` as a last resort.
 */
import {
  classificationReport,
  confusionMatrix,
  createModel,
  fetchFashionMnist,
  formatClassificationReport,
  hasWasmSimd,
  loadCore,
  readFashionMnistFiles,
  serializeModel,
  type ArchitectureName,
  type DataSplit,
  type OptimizerName,
  type ReductionName,
} from '../browser.js';
import type { Evaluation, FromWorker, ToWorker, TrainSettings } from './protocol.js';

/** The .wasm, emitted by Vite as an asset (this literal form is what Vite rewrites). */
const WASM_URL = new URL('../../build/release.wasm', import.meta.url);
/** Test images sent back for the grid. */
const SAMPLE_SIZE = 60;
/** Longest stretch without looking at the message queue (stop requests). */
const YIELD_EVERY_MS = 50;

interface WorkerScope {
  postMessage(message: unknown, options?: { transfer?: Transferable[] }): void;
  onmessage: ((event: MessageEvent<ToWorker>) => void) | null;
}
const scope = self as unknown as WorkerScope;

class StopTraining extends Error {
  override readonly name = 'StopTraining';
}

let stopRequested = false;
let running = false;

function post(message: FromWorker, transfer: Transferable[] = []): void {
  scope.postMessage(message, { transfer });
}

/** Returns to the event loop once, faster than setTimeout (which clamps nested timers to 4 ms). */
function yieldToEvents(): Promise<void> {
  return new Promise((resolve) => {
    const channel = new MessageChannel();
    channel.port1.onmessage = () => {
      channel.port1.close();
      resolve();
    };
    channel.port2.postMessage(undefined);
  });
}

/**
 * The paper's scratch-mlp trains on the summed gradient (reduction 'sum'), the others on the mean:
 * keep each architecture's reduction and take only the optimizer and learning rate from the form.
 */
function reductionOf(architecture: ArchitectureName): ReductionName {
  return architecture === 'scratch-mlp' ? 'sum' : 'mean';
}

async function loadData(settings: TrainSettings): Promise<{ train: DataSplit; test: DataSplit }> {
  const options = { limit: settings.trainLimit, testLimit: settings.testLimit };
  if (settings.files !== undefined && settings.files.length > 0) {
    post({ type: 'status', text: `Reading ${settings.files.length} picked files…` });
    const data = await readFashionMnistFiles(settings.files, options);
    post({ type: 'data', trainCount: data.train.count, testCount: data.test.count, format: data.format, source: data.source });
    return data;
  }
  post({ type: 'status', text: `Fetching Fashion-MNIST from ${settings.dataUrl}…` });
  let lastReport = 0;
  const data = await fetchFashionMnist(new URL(settings.dataUrl, settings.pageUrl ?? location.href), {
    ...options,
    onProgress(p) {
      const now = performance.now();
      if (!p.done && now - lastReport < 250) return;
      lastReport = now;
      const size = p.totalBytes ? ` of ${(p.totalBytes / 1e6).toFixed(1)} MB` : '';
      post({ type: 'status', text: `Fetching ${p.file}: ${(p.receivedBytes / 1e6).toFixed(1)} MB${size}` });
    },
  });
  post({ type: 'data', trainCount: data.train.count, testCount: data.test.count, format: data.format, source: data.source });
  return data;
}

async function train(settings: TrainSettings): Promise<void> {
  if (!hasWasmSimd()) {
    post({ type: 'unsupported', text: 'This browser lacks WebAssembly SIMD, which fmnist-wasm needs (Chrome/Edge ≥ 91, Firefox ≥ 89, Safari ≥ 16.4).' });
    return;
  }
  const { train: trainSplit, test } = await loadData(settings);
  post({ type: 'status', text: 'Loading the wasm core…' });
  const core = await loadCore({ url: WASM_URL });
  const optimizer: OptimizerName = settings.optimizer;
  const model = await createModel(settings.architecture, {
    core,
    seed: settings.seed,
    compile: { optimizer: { type: optimizer, learningRate: settings.learningRate }, reduction: reductionOf(settings.architecture) },
  });
  post({ type: 'model', summary: model.summary(), parameters: model.countParams() });
  post({ type: 'status', text: `Training ${settings.architecture} on ${trainSplit.count} images…` });

  const batchesPerEpoch = Math.ceil(trainSplit.count / settings.batchSize);
  let epoch = 0;
  let epochsCompleted = 0;
  let lastYield = performance.now();
  let stopped = false;
  try {
    await model.fit(trainSplit, {
      epochs: settings.epochs,
      batchSize: settings.batchSize,
      seed: settings.seed,
      validationData: test,
      callbacks: {
        onEpochBegin(e) {
          epoch = e;
        },
        async onBatchEnd(batch, logs) {
          post({
            type: 'batch', epoch, batch, batchesPerEpoch, batchLoss: logs.batchLoss, loss: logs.loss,
            accuracy: logs.accuracy, imagesPerSecond: logs.imagesPerSecond,
          });
          const now = performance.now();
          if (now - lastYield >= YIELD_EVERY_MS) {
            await yieldToEvents();
            lastYield = performance.now();
          }
          if (stopRequested) throw new StopTraining('stopped by the user');
        },
        onEpochEnd(e, logs) {
          epochsCompleted = e + 1;
          post({
            type: 'epoch', epoch: e, loss: logs.loss, accuracy: logs.accuracy, testLoss: logs.valLoss ?? NaN,
            testAccuracy: logs.valAccuracy ?? NaN, seconds: logs.seconds, imagesPerSecond: logs.imagesPerSecond,
          });
        },
      },
    });
  } catch (error) {
    if (!(error instanceof StopTraining)) throw error;
    stopped = true;
  }

  post({ type: 'status', text: `${stopped ? 'Stopped; evaluating' : 'Evaluating'} on ${test.count} test images…` });
  const result = model.evaluate(test);
  const confusion = confusionMatrix(result.predictions, test.labels.subarray(0, test.count), 10);
  const report = classificationReport(confusion);
  const count = Math.min(SAMPLE_SIZE, test.count);
  const evaluation: Evaluation = {
    accuracy: result.accuracy,
    loss: result.loss,
    confusion,
    report,
    reportText: formatClassificationReport(report, { layout: 'paper' }),
    sample: {
      images: test.images.slice(0, count * 784),
      indices: Array.from({ length: count }, (_, i) => i),
      labels: Array.from(test.labels.subarray(0, count)),
      predictions: Array.from(result.predictions.subarray(0, count)),
    },
  };
  const modelFile = serializeModel(model);
  post({ type: 'done', stopped, evaluation, epochsCompleted, modelFile }, [evaluation.sample.images.buffer as ArrayBuffer, modelFile.buffer as ArrayBuffer]);
}

scope.onmessage = (event) => {
  const message = event.data;
  if (message.type === 'stop') {
    stopRequested = true;
    return;
  }
  if (message.type === 'start') {
    if (running) {
      post({ type: 'error', text: 'a training run is already in progress' });
      return;
    }
    running = true;
    stopRequested = false;
    train(message.settings)
      .catch((error: unknown) => {
        const e = error as Error & { code?: string };
        post({ type: 'error', text: e?.message ?? String(error), code: e?.code });
      })
      .finally(() => {
        running = false;
      });
  }
};
