/**
 * The demo page: the training form drives worker.ts; the charts, the metrics and the result views
 * follow its messages. The "classify" panel (classify.ts) runs on this thread with a model file or
 * the model just trained. Each section is short and tied to the DOM ids of index.html; the drawing
 * lives in chart.ts and views.ts.
 */
import {
  MODERN_DEFAULTS,
  defaultTrainingConfig,
  deserializeModel,
  fetchFashionMnistSplit,
  hasWasmSimd,
  loadCore,
  readFashionMnistFiles,
  type ArchitectureName,
  type ImageSet,
  type OptimizerName,
} from '../browser.js';
// 'fmnist-wasm/interop' for a package user: the ONNX writer brings protobufjs, which the bundler resolves.
import { exportModel } from '../interop/index.js';
import { LineChart } from './chart.js';
import { setupClassify } from './classify.js';
import type { FromWorker, ToWorker, TrainSettings } from './protocol.js';
import { byId, renderConfusion, renderGrid, renderReport } from './views.js';

/** The .wasm, emitted by Vite as an asset (this literal form is what Vite rewrites). */
const WASM_URL = new URL('../../build/release.wasm', import.meta.url);
/** How long Stop waits for the worker to wind down before terminating it. */
const STOP_GRACE_MS = 5000;

const $ = byId;

const form = $<HTMLFormElement>('train-form');
const startButton = $<HTMLButtonElement>('start');
const stopButton = $<HTMLButtonElement>('stop');
const status = $('status');
const progress = $<HTMLProgressElement>('progress');
const support = $('support');

type State = 'idle' | 'loading' | 'training' | 'evaluating' | 'done' | 'stopped' | 'error' | 'unsupported';
function setState(state: State): void {
  document.body.dataset.state = state;
  const busy = state === 'loading' || state === 'training' || state === 'evaluating';
  startButton.disabled = busy || state === 'unsupported';
  stopButton.disabled = !busy;
  form.setAttribute('aria-busy', String(busy));
}

function setStatus(text: string, kind: 'info' | 'error' = 'info'): void {
  status.textContent = text;
  status.classList.toggle('error', kind === 'error');
}

// ---- SIMD check ----------------------------------------------------------------------------------

const simd = hasWasmSimd();
if (!simd) {
  support.hidden = false;
  support.textContent =
    'This browser does not support WebAssembly SIMD, which fmnist-wasm needs. Use a current Chrome, Edge (≥ 91), ' +
    'Firefox (≥ 89) or Safari (≥ 16.4). Training and classification are disabled.';
  setState('unsupported');
  setStatus('WebAssembly SIMD is not available in this browser.', 'error');
}

// ---- form ----------------------------------------------------------------------------------------

const field = <T extends HTMLInputElement | HTMLSelectElement>(name: string) => form.elements.namedItem(name) as T;

function applyDefaults(architecture: ArchitectureName): void {
  const defaults = MODERN_DEFAULTS[architecture];
  field<HTMLSelectElement>('optimizer').value = defaults.optimizer.type;
  field<HTMLInputElement>('learningRate').value = String(defaults.optimizer.learningRate);
  field<HTMLInputElement>('batchSize').value = String(defaults.batchSize);
}
field<HTMLSelectElement>('architecture').addEventListener('change', (event) => {
  applyDefaults((event.target as HTMLSelectElement).value as ArchitectureName);
});
$<HTMLButtonElement>('defaults').addEventListener('click', () =>
  applyDefaults(field<HTMLSelectElement>('architecture').value as ArchitectureName),
);

// Settings may come from the query string, e.g. ?data=/my/files/&limit=6000&model=mlp.
{
  const params = new URLSearchParams(location.search);
  const architecture = params.get('model');
  if (architecture === 'scratch-mlp' || architecture === 'mlp' || architecture === 'cnn') {
    field<HTMLSelectElement>('architecture').value = architecture;
    applyDefaults(architecture);
  } else {
    applyDefaults('scratch-mlp');
  }
  const map: Record<string, string> = {
    data: 'dataUrl',
    limit: 'trainLimit',
    epochs: 'epochs',
    batch: 'batchSize',
    lr: 'learningRate',
    seed: 'seed',
    optimizer: 'optimizer',
    test: 'testLimit',
  };
  for (const [param, name] of Object.entries(map)) {
    const value = params.get(param);
    if (value !== null) field<HTMLInputElement>(name).value = value;
  }
}

function readSettings(): TrainSettings {
  const number = (name: string, label: string, min: number, integer: boolean): number => {
    const input = field<HTMLInputElement>(name);
    const value = Number(input.value);
    const max = input.max === '' ? Infinity : Number(input.max);
    if (input.value.trim() === '' || !Number.isFinite(value) || value < min || value > max || (integer && !Number.isInteger(value))) {
      input.setAttribute('aria-invalid', 'true');
      input.focus();
      throw new Error(
        `${label}: expected ${integer ? 'an integer' : 'a number'} from ${min}${max === Infinity ? '' : ` to ${max}`}, got "${input.value}"`,
      );
    }
    input.removeAttribute('aria-invalid');
    return value;
  };
  const files = field<HTMLInputElement>('files').files;
  const architecture = field<HTMLSelectElement>('architecture').value as ArchitectureName;
  return {
    config: {
      // The architecture's reduction stays (scratch-mlp sums the gradient, the paper's rule): the form sets the rest.
      ...defaultTrainingConfig(architecture),
      optimizer: {
        type: field<HTMLSelectElement>('optimizer').value as OptimizerName,
        learningRate: number('learningRate', 'Learning rate', 1e-6, false),
      },
      batchSize: number('batchSize', 'Batch size', 1, true),
      epochs: number('epochs', 'Epochs', 1, true),
      seed: number('seed', 'Seed', 0, true),
      limit: number('trainLimit', 'Training images', 1, true),
      testLimit: number('testLimit', 'Test images', 1, true),
    },
    dataUrl: field<HTMLInputElement>('dataUrl').value.trim() || '/data/',
    pageUrl: location.href,
    files: files && files.length > 0 ? Array.from(files) : undefined,
  };
}

// ---- charts --------------------------------------------------------------------------------------

const chartsBox = $('charts');
const percent = (y: number) => `${(y * 100).toFixed(1)}%`;
const lossChart = new LineChart(chartsBox, {
  title: 'Loss',
  xLabel: 'epoch',
  yLabel: 'cross-entropy',
  series: [
    { name: 'batch loss', color: '#9db4d6' },
    { name: 'train loss (running)', color: '#1f5fbf' },
    { name: 'test loss', color: '#d9480f', dots: true, dashed: true },
  ],
});
const accuracyChart = new LineChart(chartsBox, {
  title: 'Accuracy',
  xLabel: 'epoch',
  yLabel: 'accuracy',
  yDomain: [0, 1],
  series: [
    { name: 'train accuracy (running)', color: '#1f5fbf', format: percent },
    { name: 'test accuracy', color: '#d9480f', dots: true, dashed: true, format: percent },
  ],
});
const speedChart = new LineChart(chartsBox, {
  title: 'Throughput',
  xLabel: 'epoch',
  yLabel: 'images/s',
  series: [{ name: 'images/s', color: '#2b8a3e', format: (y) => Math.round(y).toLocaleString('en-US') }],
});

// ---- training ------------------------------------------------------------------------------------

let worker: Worker | undefined;
let stopTimer: ReturnType<typeof setTimeout> | undefined;
let trainedModelFile: Uint8Array | undefined;
let lastSettings: TrainSettings | undefined;
let downloadUrl: string | undefined;
let exportUrls: string[] = [];

function newWorker(): Worker {
  const w = new Worker(new URL('./worker.ts', import.meta.url), { type: 'module', name: 'fmnist-train' });
  w.onmessage = (event: MessageEvent<FromWorker>) => onWorkerMessage(event.data);
  w.onerror = (event) => {
    setStatus(`The training worker failed: ${event.message || 'unknown error (see the console)'}`, 'error');
    setState('error');
  };
  return w;
}

function resetRun(settings: TrainSettings): void {
  lossChart.clear();
  accuracyChart.clear();
  speedChart.clear();
  for (const id of ['m-epoch', 'm-loss', 'm-accuracy', 'm-test-accuracy', 'm-speed']) $(id).textContent = '–';
  progress.value = 0;
  progress.max = settings.config.epochs;
  $('results').hidden = true;
}

function onWorkerMessage(message: FromWorker): void {
  switch (message.type) {
    case 'status':
      setStatus(message.text);
      break;
    case 'unsupported':
      support.hidden = false;
      support.textContent = message.text;
      setStatus(message.text, 'error');
      setState('unsupported');
      break;
    case 'data':
      setStatus(
        `Data: ${message.trainCount.toLocaleString('en-US')} training and ${message.testCount.toLocaleString('en-US')} test images (${message.format.toUpperCase()}).`,
      );
      break;
    case 'model': {
      $('summary').textContent = message.summary;
      $('m-threads').textContent = `${message.threads} thread${message.threads === 1 ? '' : 's'}, ${message.simd} SIMD`;
      $('m-threads').dataset.threads = String(message.threads);
      // One thread because the page is not cross-origin isolated: say why and what fixes it.
      const note = $('threads-note');
      note.hidden = message.threads > 1 || !/isolated/.test(message.threadsReason);
      note.textContent = note.hidden ? '' : `Training on one thread: ${message.threadsReason.replace(/^1 thread: /, '')}.`;
      setState('training');
      break;
    }
    case 'batch': {
      const x = message.epoch + (message.batch + 1) / message.batchesPerEpoch;
      lossChart.push('batch loss', x, message.batchLoss);
      lossChart.push('train loss (running)', x, message.loss);
      accuracyChart.push('train accuracy (running)', x, message.accuracy);
      speedChart.push('images/s', x, message.imagesPerSecond);
      progress.value = x;
      $('m-epoch').textContent =
        `${message.epoch + 1} / ${lastSettings?.config.epochs ?? '?'} (batch ${message.batch + 1} of ${message.batchesPerEpoch})`;
      $('m-loss').textContent = message.loss.toFixed(4);
      $('m-accuracy').textContent = percent(message.accuracy);
      $('m-speed').textContent = Math.round(message.imagesPerSecond).toLocaleString('en-US');
      break;
    }
    case 'epoch':
      lossChart.push('test loss', message.epoch + 1, message.testLoss);
      accuracyChart.push('test accuracy', message.epoch + 1, message.testAccuracy);
      $('m-test-accuracy').textContent = percent(message.testAccuracy);
      setStatus(
        `Epoch ${message.epoch + 1}: test accuracy ${percent(message.testAccuracy)}, ${message.seconds.toFixed(1)} s, ` +
          `${Math.round(message.imagesPerSecond).toLocaleString('en-US')} images/s.`,
      );
      break;
    case 'done': {
      clearTimeout(stopTimer);
      const { evaluation } = message;
      $('results').hidden = false;
      $('test-accuracy').textContent = `${(evaluation.accuracy * 100).toFixed(2)}%`;
      $('test-loss').textContent =
        `(loss ${evaluation.loss.toFixed(4)} on ${evaluation.report.total.toLocaleString('en-US')} test images${message.stopped ? `, stopped after ${message.epochsCompleted} full epochs` : ''})`;
      $('m-test-accuracy').textContent = percent(evaluation.accuracy);
      renderConfusion($('confusion'), evaluation.confusionMatrix);
      renderReport($('report'), evaluation.report);
      const sample = evaluation.sample;
      renderGrid(
        $('samples'),
        sample.indices.map((index, i) => ({
          pixels: sample.images.subarray(i * 784, (i + 1) * 784),
          index,
          predicted: sample.predictions[i]!,
          label: sample.labels[i]!,
        })),
      );
      trainedModelFile = message.modelFile;
      if (downloadUrl) URL.revokeObjectURL(downloadUrl);
      downloadUrl = URL.createObjectURL(new Blob([message.modelFile as Uint8Array<ArrayBuffer>], { type: 'application/octet-stream' }));
      const link = $<HTMLAnchorElement>('download-model');
      link.href = downloadUrl;
      link.download = `${lastSettings?.config.architecture ?? 'model'}.fmnist`;
      void offerExports(message.modelFile, lastSettings?.config.architecture ?? 'model');
      $<HTMLButtonElement>('use-trained').disabled = false;
      setStatus(`${message.stopped ? 'Stopped' : 'Done'}: test accuracy ${percent(evaluation.accuracy)}.`);
      setState(message.stopped ? 'stopped' : 'done');
      break;
    }
    case 'error':
      clearTimeout(stopTimer);
      setStatus(`Error: ${message.text}`, 'error');
      setState('error');
      break;
  }
}

/** The trained model as TF.js Layers files and ONNX, behind the download links next to the .fmnist one. */
async function offerExports(modelFile: Uint8Array, stem: string): Promise<void> {
  const links = $('download-exports');
  try {
    const trained = await deserializeModel(modelFile, { core: await loadCore({ url: WASM_URL }) });
    const files = [...exportModel(trained, 'tfjs', { basename: stem }), ...exportModel(trained, 'onnx', { basename: stem })];
    for (const url of exportUrls) URL.revokeObjectURL(url);
    exportUrls = files.map((file) =>
      URL.createObjectURL(new Blob([file.bytes as Uint8Array<ArrayBuffer>], { type: 'application/octet-stream' })),
    );
    files.forEach((file, i) => {
      const link = $<HTMLAnchorElement>(
        `download-${file.name.endsWith('.onnx') ? 'onnx' : file.name.endsWith('.json') ? 'tfjs-json' : 'tfjs-bin'}`,
      );
      link.href = exportUrls[i]!;
      link.download = file.name;
      link.textContent = file.name;
    });
    links.hidden = false;
  } catch (error) {
    links.hidden = true;
    setStatus(`Export failed: ${(error as Error).message}`, 'error');
  }
}

form.addEventListener('submit', (event) => {
  event.preventDefault();
  if (!simd) return;
  let settings: TrainSettings;
  try {
    settings = readSettings();
  } catch (error) {
    setStatus((error as Error).message, 'error');
    return;
  }
  lastSettings = settings;
  resetRun(settings);
  worker ??= newWorker();
  setState('loading');
  setStatus('Starting…');
  worker.postMessage({ type: 'start', settings } satisfies ToWorker);
});

stopButton.addEventListener('click', () => {
  if (worker === undefined) return;
  worker.postMessage({ type: 'stop' } satisfies ToWorker);
  setStatus('Stopping…');
  setState('evaluating');
  clearTimeout(stopTimer);
  // Still loading data, or a long batch: terminate, so Stop always stops.
  stopTimer = setTimeout(() => {
    worker?.terminate();
    worker = undefined;
    setStatus('Stopped (the worker was terminated).');
    setState('stopped');
  }, STOP_GRACE_MS);
});

// ---- classify with a model (classify.ts) ---------------------------------------------------------

let testSplit: Promise<ImageSet> | undefined;

/** The test split, from the picked files or the data URL, fetched once. */
function loadTestSplit(): Promise<ImageSet> {
  const files = field<HTMLInputElement>('files').files;
  if (files && files.length > 0) return readFashionMnistFiles(Array.from(files)).then((data) => data.test);
  testSplit ??= fetchFashionMnistSplit(field<HTMLInputElement>('dataUrl').value.trim() || '/data/', 'test');
  testSplit.catch(() => {
    testSplit = undefined;
  });
  return testSplit;
}

setupClassify({ wasmUrl: WASM_URL, trainedModelFile: () => trainedModelFile, loadTestSplit });
