/**
 * The demo's result views: the confusion matrix as a heat-map table, the classification report
 * table, and grids of 28x28 images with their predicted and true classes. Plain DOM; tables keep
 * the numbers as text so they read well without the colours.
 */
import { CLASS_NAMES, type ClassificationReport } from '../browser.js';

/** The element of index.html with this id; a missing id is a bug of the page, said at once. */
export const byId = <T extends HTMLElement>(id: string): T => {
  const node = document.getElementById(id);
  if (node === null) throw new Error(`demo: #${id} is missing from index.html`);
  return node as T;
};

/** Draws one 28x28 u8 image (0 = background) into a canvas, pixel for pixel; CSS scales it up. */
export function drawImage(canvas: HTMLCanvasElement, pixels: Uint8Array, invert = true): void {
  canvas.width = 28;
  canvas.height = 28;
  const context = canvas.getContext('2d')!;
  const data = context.createImageData(28, 28);
  for (let i = 0; i < 784; i++) {
    const v = invert ? 255 - pixels[i]! : pixels[i]!;
    data.data[i * 4] = v;
    data.data[i * 4 + 1] = v;
    data.data[i * 4 + 2] = v;
    data.data[i * 4 + 3] = 255;
  }
  context.putImageData(data, 0, 0);
}

/** Short class names for narrow table headers. */
const SHORT_NAMES = ['T-shirt', 'Trouser', 'Pullover', 'Dress', 'Coat', 'Sandal', 'Shirt', 'Sneaker', 'Bag', 'Boot'];

/**
 * The confusion matrix: rows true class, columns predicted; each cell shaded by its share of the
 * row (the recall of the diagonal), correct cells in blue and errors in orange.
 */
export function renderConfusion(container: HTMLElement, confusion: number[][]): void {
  const table = document.createElement('table');
  table.className = 'confusion';
  const caption = document.createElement('caption');
  caption.textContent = 'Confusion matrix: rows are true classes, columns predicted classes; shading is the share of the row.';
  const head = document.createElement('thead');
  const headRow = document.createElement('tr');
  const corner = document.createElement('th');
  corner.scope = 'col';
  corner.innerHTML = '<span class="visually-hidden">true \\ predicted</span>';
  headRow.append(corner);
  SHORT_NAMES.forEach((name, j) => {
    const th = document.createElement('th');
    th.scope = 'col';
    th.title = CLASS_NAMES[j]!;
    th.textContent = name;
    headRow.append(th);
  });
  head.append(headRow);
  const body = document.createElement('tbody');
  confusion.forEach((row, i) => {
    const tr = document.createElement('tr');
    const th = document.createElement('th');
    th.scope = 'row';
    th.textContent = CLASS_NAMES[i]!;
    tr.append(th);
    const total = row.reduce((a, b) => a + b, 0) || 1;
    row.forEach((count, j) => {
      const td = document.createElement('td');
      const share = count / total;
      td.textContent = String(count);
      td.dataset.count = String(count);
      td.title = `true ${CLASS_NAMES[i]}, predicted ${CLASS_NAMES[j]}: ${count} (${(share * 100).toFixed(1)}% of the row)`;
      const hue = i === j ? '215 80%' : '25 90%';
      // Lightness from 97% (none) to 35% (all of the row); text turns white on dark cells.
      const lightness = 97 - Math.sqrt(share) * 62;
      td.style.background = `hsl(${hue} ${lightness.toFixed(1)}%)`;
      if (lightness < 60) td.classList.add('dark');
      tr.append(td);
    });
    body.append(tr);
  });
  table.append(caption, head, body);
  container.replaceChildren(table);
}

/** The classification report as a table (precision, recall, f1-score, support), the paper's layout. */
export function renderReport(container: HTMLElement, report: ClassificationReport): void {
  const table = document.createElement('table');
  table.className = 'report';
  const caption = document.createElement('caption');
  caption.textContent = `Classification report (accuracy ${(report.accuracy * 100).toFixed(2)}%)`;
  const head = document.createElement('thead');
  head.innerHTML =
    '<tr><th scope="col">class</th><th scope="col">precision</th><th scope="col">recall</th><th scope="col">f1-score</th><th scope="col">support</th></tr>';
  const body = document.createElement('tbody');
  const row = (name: string, p: number, r: number, f: number, support: number, className = '') => {
    const tr = document.createElement('tr');
    if (className) tr.className = className;
    const th = document.createElement('th');
    th.scope = 'row';
    th.textContent = name;
    tr.append(th);
    for (const value of [p.toFixed(2), r.toFixed(2), f.toFixed(2), String(support)]) {
      const td = document.createElement('td');
      td.textContent = value;
      tr.append(td);
    }
    body.append(tr);
  };
  for (const c of report.perClass) row(c.name, c.precision, c.recall, c.f1, c.support);
  const w = report.weightedAvg;
  row('avg / total', w.precision, w.recall, w.f1, w.support, 'total');
  table.append(caption, head, body);
  container.replaceChildren(table);
}

export interface GridItem {
  pixels: Uint8Array;
  /** Index in the test split, shown in the label. */
  index: number;
  predicted: number;
  /** True class, when known. */
  label?: number;
  /** Confidence of the prediction (0..1), when known. */
  confidence?: number;
}

/** A grid of images, each with its predicted class and (when known) true class; mistakes marked. */
export function renderGrid(container: HTMLElement, items: readonly GridItem[]): void {
  const list = document.createElement('ol');
  list.className = 'grid';
  let wrong = 0;
  for (const item of items) {
    const li = document.createElement('li');
    const isWrong = item.label !== undefined && item.label !== item.predicted;
    if (isWrong) wrong++;
    li.className = isWrong ? 'wrong' : item.label === undefined ? '' : 'right';
    li.dataset.index = String(item.index);
    li.dataset.predicted = String(item.predicted);
    if (item.label !== undefined) li.dataset.label = String(item.label);
    const canvas = document.createElement('canvas');
    drawImage(canvas, item.pixels);
    canvas.setAttribute('role', 'img');
    const truth = item.label === undefined ? '' : isWrong ? `, true ${CLASS_NAMES[item.label]}` : ' (correct)';
    canvas.setAttribute('aria-label', `test image ${item.index}: predicted ${CLASS_NAMES[item.predicted]}${truth}`);
    const caption = document.createElement('span');
    caption.className = 'caption';
    const confidence = item.confidence === undefined ? '' : ` ${(item.confidence * 100).toFixed(0)}%`;
    caption.innerHTML = '';
    const predicted = document.createElement('b');
    predicted.textContent = `${isWrong ? '✗ ' : ''}${SHORT_NAMES[item.predicted]}${confidence}`;
    caption.append(predicted);
    if (isWrong) {
      const actual = document.createElement('small');
      actual.textContent = `true: ${SHORT_NAMES[item.label!]}`;
      caption.append(actual);
    }
    li.append(canvas, caption);
    list.append(li);
  }
  const summary = document.createElement('p');
  summary.className = 'grid-summary';
  summary.textContent = items.some((i) => i.label !== undefined)
    ? `${items.length - wrong} of ${items.length} correct; mistakes are outlined in red and marked ✗.`
    : `${items.length} images.`;
  container.replaceChildren(summary, list);
}

/** Probability bars for one prediction. */
export function renderProbabilities(container: HTMLElement, probabilities: Float32Array | number[]): void {
  const order = Array.from(probabilities, (p, i) => [p, i] as const).sort((a, b) => b[0] - a[0]);
  const list = document.createElement('ol');
  list.className = 'probabilities';
  for (const [p, i] of order) {
    const li = document.createElement('li');
    const name = document.createElement('span');
    name.textContent = CLASS_NAMES[i]!;
    const meter = document.createElement('meter');
    meter.min = 0;
    meter.max = 1;
    meter.value = p;
    meter.setAttribute('aria-label', `${CLASS_NAMES[i]} probability`);
    const value = document.createElement('span');
    value.textContent = `${(p * 100).toFixed(1)}%`;
    li.append(name, meter, value);
    list.append(li);
  }
  container.replaceChildren(list);
}
