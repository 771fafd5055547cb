/**
 * The demo's "classify with a model" panel: a model file (or the model just trained) is
 * deserialized onto a core of its own, on the page's thread, and classifies test images, an
 * uploaded picture or a drawing. Each classification of a picture or a drawing shows its latency:
 * the model call alone (`model.classify`) and the whole path (the pixels read from the canvas,
 * `toModelInput`'s 28x28 conversion and the model call), both timed with performance.now().
 */
import {
  deserializeModel,
  loadCore,
  toModelInput,
  type Classification,
  type ImageSet,
  type RgbaImage,
  type Sequential,
} from '../browser.js';
import { byId as $, drawImage, renderGrid, renderProbabilities } from './views.js';

export interface ClassifyPanel {
  /** The core's .wasm, as the training page loads it. */
  wasmUrl: URL;
  /** The bytes of the model the page trained last, if any (behind "Use the model just trained"). */
  trainedModelFile: () => Uint8Array | undefined;
  /** The test split (fetched or read from the picked files), for "Classify test images". */
  loadTestSplit: () => Promise<ImageSet>;
}

/** A classification with its latencies (ms): the model call, and pixels + conversion + model call. */
interface Timed {
  pixels: Uint8Array;
  result: Classification;
  modelMs: number;
  totalMs: number;
}

/** Where one classification is shown: the 28x28 preview, the prediction line and the probability bars. */
interface ResultView {
  box: HTMLElement;
  preview: HTMLCanvasElement;
  prediction: HTMLElement;
  probabilities: HTMLElement;
}

const view = (prefix: string): ResultView => ({
  box: $(`${prefix}-result`),
  preview: $<HTMLCanvasElement>(`${prefix}-preview`),
  prediction: $(`${prefix}-prediction`),
  probabilities: $(`${prefix}-probabilities`),
});

/** Sub-millisecond latencies keep two decimals (the isolated page's clock has 5 µs steps). */
const ms = (value: number) => (value < 10 ? value.toFixed(2) : value.toFixed(1));

/** Wires the panel's controls (the ids of index.html's #classify section). */
export function setupClassify(panel: ClassifyPanel): void {
  let model: Sequential | undefined;
  /** The probabilities' buffer, reused by every classification of a picture or a drawing (one per model). */
  let output = new Float32Array(0);
  const modelStatus = $('model-status');
  const upload = view('upload');
  const drawn = view('pad');
  const idleText = drawn.prediction.textContent;
  const pad = drawingPad($<HTMLCanvasElement>('pad'), $<HTMLInputElement>('pad-brush'), {
    // While a stroke is drawn: at most once a frame, without the bars; its end: in full.
    onStroke: (ended) => classifyDrawing(ended),
  });

  /** Reads the pixels, converts them to 28x28 and classifies them, timing the model call and the whole path. */
  function classifyTimed(current: Sequential, read: () => RgbaImage, invert: boolean | 'auto'): Timed {
    const start = performance.now();
    const pixels = toModelInput(read(), { invert });
    const beforeModel = performance.now();
    const result = current.classify(pixels, output);
    const end = performance.now();
    return { pixels, result, modelMs: end - beforeModel, totalMs: end - start };
  }

  /** Shows a classification; `bars` false skips the probability bars (while a stroke is drawn). */
  function show(target: ResultView, { pixels, result, modelMs, totalMs }: Timed, bars = true): void {
    drawImage(target.preview, pixels);
    target.prediction.textContent = `${result.className} (${(result.probability * 100).toFixed(1)}%) in ${ms(modelMs)} ms (model) / ${ms(totalMs)} ms (total)`;
    target.prediction.dataset.predicted = String(result.label);
    target.prediction.dataset.className = result.className;
    target.prediction.dataset.latencyMs = String(modelMs);
    target.prediction.dataset.totalMs = String(totalMs);
    if (bars) renderProbabilities(target.probabilities, result.probabilities);
    target.box.hidden = false;
  }

  async function useModel(bytes: Uint8Array, source: string): Promise<void> {
    modelStatus.textContent = `Loading ${source}…`;
    try {
      // A model plans its core's whole arena, so each gets a core of its own. The wasm memory of a
      // dropped one is outside the JS heap, where the collector does not hurry: release it now.
      const core = await loadCore({ url: panel.wasmUrl });
      const loaded = await deserializeModel(bytes, { core, source }).catch((error: unknown) => {
        core.dispose();
        throw error;
      });
      model?.dispose();
      model = loaded;
      output = new Float32Array(model.classNames.length);
      // The first call plans the model's inference run: made here, so the latencies shown are a page's steady state.
      model.classify(new Uint8Array(784), output);
      const name = model.architecture?.name ?? model.name;
      modelStatus.textContent = `Loaded ${source}: ${name}, ${model.countParams().toLocaleString('en-US')} parameters.`;
      modelStatus.classList.remove('error');
      $<HTMLFieldSetElement>('classify-tests').disabled = false;
      $<HTMLFieldSetElement>('classify-upload').disabled = false;
      document.body.dataset.model = 'loaded';
      if (pad.inked) classifyDrawing(true);
    } catch (error) {
      model?.dispose();
      model = undefined;
      modelStatus.textContent = `Cannot load the model: ${(error as Error).message}`;
      modelStatus.classList.add('error');
      document.body.dataset.model = 'error';
    }
  }

  $<HTMLInputElement>('model-file').addEventListener('change', async (event) => {
    const file = (event.target as HTMLInputElement).files?.[0];
    if (file) await useModel(new Uint8Array(await file.arrayBuffer()), file.name);
  });
  $<HTMLButtonElement>('use-trained').addEventListener('click', async () => {
    const bytes = panel.trainedModelFile();
    if (bytes) await useModel(bytes, 'the model just trained');
  });

  $<HTMLButtonElement>('classify-test').addEventListener('click', async () => {
    if (!model) return;
    const summary = $('classify-summary');
    try {
      summary.textContent = 'Loading the test images…';
      const test = await panel.loadTestSplit();
      const start = Math.max(0, Math.min(test.count - 1, Math.floor(Number($<HTMLInputElement>('test-start').value) || 0)));
      const count = Math.max(1, Math.min(test.count - start, Math.floor(Number($<HTMLInputElement>('test-count').value) || 100)));
      const pixels = test.images.subarray(start * 784, (start + count) * 784);
      const t0 = performance.now();
      const { labels, probabilities } = model.predict(pixels, count);
      const elapsed = performance.now() - t0;
      let correct = 0;
      for (let i = 0; i < count; i++) if (labels[i] === test.labels[start + i]) correct++;
      summary.textContent =
        `Images ${start}–${start + count - 1}: ${correct} of ${count} correct (${((100 * correct) / count).toFixed(1)}%), ` +
        `predicted in ${elapsed.toFixed(1)} ms.`;
      summary.dataset.predictions = Array.from(labels).join(',');
      summary.dataset.start = String(start);
      renderGrid(
        $('classify-grid'),
        Array.from(labels, (predicted, i) => ({
          pixels: pixels.subarray(i * 784, (i + 1) * 784),
          index: start + i,
          predicted,
          label: test.labels[start + i]!,
          confidence: probabilities[i * 10 + predicted]!,
        })),
      );
    } catch (error) {
      summary.textContent = `Cannot classify: ${(error as Error).message}`;
    }
  });

  async function classifyPicture(): Promise<void> {
    const file = $<HTMLInputElement>('upload-image').files?.[0];
    if (!model || !file) return;
    try {
      const bitmap = await createImageBitmap(file);
      // Decode at most 512 px on a side: toModelInput averages areas, so this loses nothing at 28x28.
      const scale = Math.min(1, 512 / Math.max(bitmap.width, bitmap.height));
      const width = Math.max(1, Math.round(bitmap.width * scale));
      const height = Math.max(1, Math.round(bitmap.height * scale));
      const canvas = new OffscreenCanvas(width, height);
      const context = canvas.getContext('2d')!;
      context.drawImage(bitmap, 0, 0, width, height);
      bitmap.close();
      const choice = $<HTMLSelectElement>('upload-invert').value;
      // The decoding is not timed (it depends on the file): the path starts at the decoded pixels.
      show(
        upload,
        classifyTimed(model, () => context.getImageData(0, 0, width, height), choice === 'auto' ? 'auto' : choice === 'yes'),
      );
    } catch (error) {
      upload.prediction.textContent = `Cannot read this picture: ${(error as Error).message}`;
      delete upload.prediction.dataset.predicted;
      upload.box.hidden = false;
    }
  }
  $<HTMLInputElement>('upload-image').addEventListener('change', () => void classifyPicture());
  $<HTMLSelectElement>('upload-invert').addEventListener('change', () => void classifyPicture());

  // ---- the drawing pad ----

  function classifyDrawing(ended: boolean): void {
    if (!model) {
      drawn.prediction.textContent = 'Load a model (above) to classify your drawing.';
      return;
    }
    // White strokes on black: Fashion-MNIST's light-on-dark already, so no inversion.
    show(drawn, classifyTimed(model, pad.read, false), ended);
    drawn.prediction.setAttribute('aria-busy', String(!ended));
  }

  $<HTMLButtonElement>('pad-clear').addEventListener('click', () => {
    pad.clear();
    drawn.box.hidden = true;
    drawn.prediction.textContent = idleText;
    drawn.probabilities.replaceChildren();
    for (const key of ['predicted', 'className', 'latencyMs', 'totalMs']) delete drawn.prediction.dataset[key];
  });
}

interface Pad {
  /** True once something is drawn since the last clear. */
  readonly inked: boolean;
  /** The pad's RGBA pixels. */
  read: () => ImageData;
  clear: () => void;
}

/**
 * A black canvas drawn on in white with a round brush by mouse, touch or pen (pointer events, the
 * pointer captured for the stroke). `onStroke(false)` runs at most once per animation frame while
 * a stroke is drawn, `onStroke(true)` when it ends.
 */
function drawingPad(canvas: HTMLCanvasElement, brush: HTMLInputElement, { onStroke }: { onStroke: (ended: boolean) => void }): Pad {
  // Read back on every frame of a stroke: a CPU-backed canvas makes getImageData cheap.
  const context = canvas.getContext('2d', { willReadFrequently: true })!;
  let pointer: number | undefined;
  let lastX = 0;
  let lastY = 0;
  let frame = 0;
  let inked = false;

  const clear = () => {
    context.fillStyle = '#000';
    context.fillRect(0, 0, canvas.width, canvas.height);
    inked = false;
  };
  clear();

  /** The event's position in canvas pixels (the canvas may be shown smaller than its 280x280). */
  const at = (event: PointerEvent): [number, number] => {
    const box = canvas.getBoundingClientRect();
    return [((event.clientX - box.left) * canvas.width) / box.width, ((event.clientY - box.top) * canvas.height) / box.height];
  };

  const segment = (x: number, y: number) => {
    context.strokeStyle = '#fff';
    context.lineWidth = Number(brush.value) || 24;
    context.lineCap = 'round';
    context.lineJoin = 'round';
    context.beginPath();
    context.moveTo(lastX, lastY);
    context.lineTo(x, y);
    context.stroke();
    lastX = x;
    lastY = y;
    inked = true;
  };

  canvas.addEventListener('pointerdown', (event) => {
    if (pointer !== undefined || event.button !== 0) return;
    event.preventDefault();
    pointer = event.pointerId;
    canvas.setPointerCapture(event.pointerId);
    [lastX, lastY] = at(event);
    // A zero-length round-capped segment: a click leaves a dot.
    segment(lastX, lastY);
    frame ||= requestAnimationFrame(drawFrame);
  });
  canvas.addEventListener('pointermove', (event) => {
    if (event.pointerId !== pointer) return;
    // Coalesced events: every position the pointer passed since the last event, for smooth curves.
    for (const each of event.getCoalescedEvents?.() ?? [event]) segment(...at(each));
    frame ||= requestAnimationFrame(drawFrame);
  });
  const end = (event: PointerEvent) => {
    if (event.pointerId !== pointer) return;
    pointer = undefined;
    cancelAnimationFrame(frame);
    frame = 0;
    onStroke(true);
  };
  canvas.addEventListener('pointerup', end);
  canvas.addEventListener('pointercancel', end);
  canvas.addEventListener('lostpointercapture', end);

  function drawFrame(): void {
    frame = 0;
    if (pointer !== undefined) onStroke(false);
  }

  return {
    get inked() {
      return inked;
    },
    read: () => context.getImageData(0, 0, canvas.width, canvas.height),
    clear: () => {
      cancelAnimationFrame(frame);
      frame = 0;
      clear();
    },
  };
}
