/**
 * The demo's training worker: loads the data and the wasm core, trains, reports progress, and
 * evaluates, so the page stays responsive. Protocol in protocol.ts.
 *
 * Training and evaluation are the library's `trainAndEvaluate`, as in the CLI. Stopping: a `stop`
 * message aborts the run's signal. Messages only arrive when this worker returns to its event loop,
 * so onBatchEnd yields (a MessageChannel round trip, no timer clamping) at most every 50 ms; the
 * library then stops after that batch and evaluates the model trained so far. The page also keeps
 * `terminate()` as a last resort.
 */
import { fetchFashionMnist, hasWasmSimd, readFashionMnistFiles, serializeModel, trainAndEvaluate, type ImageSet } from '../browser.js';
import type { Evaluation, FromWorker, ToWorker, TrainSettings } from './protocol.js';

/** Test images sent back for the grid. */
const SAMPLE_SIZE = 60;
/** Longest stretch without looking at the message queue (stop requests). */
const YIELD_EVERY_MS = 50;

interface WorkerScope {
  postMessage(message: unknown, options?: { transfer?: Transferable[] }): void;
  onmessage: ((event: MessageEvent<ToWorker>) => void) | null;
}
const scope = self as unknown as WorkerScope;

let stop: AbortController | undefined;
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

async function loadData(settings: TrainSettings): Promise<{ train: ImageSet; test: ImageSet }> {
  const options = { limit: settings.config.limit, testLimit: settings.config.testLimit };
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

async function train(settings: TrainSettings, signal: AbortSignal): Promise<void> {
  if (!hasWasmSimd()) {
    post({
      type: 'unsupported',
      text: 'This browser lacks WebAssembly SIMD, which fmnist-wasm needs (Chrome/Edge ≥ 91, Firefox ≥ 89, Safari ≥ 16.4).',
    });
    return;
  }
  const { config } = settings;
  const data = await loadData(settings);
  post({ type: 'status', text: 'Loading the wasm core…' });
  const batchesPerEpoch = Math.ceil(data.train.count / config.batchSize);
  let epoch = 0;
  let lastYield = performance.now();
  const result = await trainAndEvaluate(config, data, {
    // No url: loadCore picks the build (shared memory when the page is cross-origin isolated, FMA
    // when the browser has relaxed SIMD) from the literal URLs in core/load.ts, which Vite emits.
    signal,
    onModel(model) {
      const { threads, threadsReason, simd } = model.core;
      post({ type: 'model', summary: model.summary(), parameters: model.countParams(), threads, threadsReason, simd });
      post({ type: 'status', text: `Training ${config.architecture} on ${data.train.count} images…` });
    },
    onTrained(_model, stopped) {
      post({
        type: 'status',
        text: `${stopped ? 'Stopped; evaluating' : 'Evaluating'} on ${Math.min(config.testLimit, data.test.count)} test images…`,
      });
    },
    callbacks: {
      onEpochBegin(e) {
        epoch = e;
      },
      async onBatchEnd(batch, logs) {
        post({
          type: 'batch',
          epoch,
          batch,
          batchesPerEpoch,
          batchLoss: logs.batchLoss,
          loss: logs.loss,
          accuracy: logs.accuracy,
          imagesPerSecond: logs.imagesPerSecond,
        });
        const now = performance.now();
        if (now - lastYield >= YIELD_EVERY_MS) {
          await yieldToEvents();
          lastYield = performance.now();
        }
      },
      onEpochEnd(e, logs) {
        post({
          type: 'epoch',
          epoch: e,
          loss: logs.loss,
          accuracy: logs.accuracy,
          testLoss: logs.valLoss ?? NaN,
          testAccuracy: logs.valAccuracy ?? NaN,
          seconds: logs.seconds,
          imagesPerSecond: logs.imagesPerSecond,
        });
      },
    },
  });
  const { predictions, ...evaluated } = result.evaluation;
  const test = data.test;
  const count = Math.min(SAMPLE_SIZE, test.count);
  const evaluation: Evaluation = {
    ...evaluated,
    sample: {
      images: test.images.slice(0, count * 784),
      indices: Array.from({ length: count }, (_, i) => i),
      labels: Array.from(test.labels.subarray(0, count)),
      predictions: Array.from(predictions.subarray(0, count)),
    },
  };
  const modelFile = serializeModel(result.model);
  // Its wasm memory lives outside the JS heap, where the collector does not hurry: release it now.
  result.model.dispose();
  post({ type: 'done', stopped: result.stopped, evaluation, epochsCompleted: result.history.epoch.length, modelFile }, [
    evaluation.sample.images.buffer as ArrayBuffer,
    modelFile.buffer as ArrayBuffer,
  ]);
}

scope.onmessage = (event) => {
  const message = event.data;
  if (message.type === 'stop') {
    stop?.abort();
    return;
  }
  if (message.type === 'start') {
    if (running) {
      post({ type: 'error', text: 'a training run is already in progress' });
      return;
    }
    running = true;
    stop = new AbortController();
    train(message.settings, stop.signal)
      .catch((error: unknown) => {
        const e = error as Error & { code?: string };
        post({ type: 'error', text: e?.message ?? String(error), code: e?.code });
      })
      .finally(() => {
        running = false;
      });
  }
};
