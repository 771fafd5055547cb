/**
 * A small live line chart in plain SVG: a few series of (x, y) points, axes with ticks, a legend.
 * Redraws at most once per animation frame however often points arrive, and thins a series to
 * about `maxPoints` drawn points (keeping each bucket's last point), so a 60,000-image epoch stays
 * cheap to draw. Accessible: the SVG is `role="img"` with a label, and a text line below it states
 * the latest values (screen readers and tests read that, not the paths).
 */

const SVG = 'http://www.w3.org/2000/svg';

export interface SeriesSpec {
  name: string;
  /** CSS colour. */
  color: string;
  /** Draw dots at the points (for sparse series such as per-epoch values). */
  dots?: boolean;
  /** Dashed line. */
  dashed?: boolean;
  /** How to print the latest value. */
  format?: (y: number) => string;
}

export interface ChartOptions {
  title: string;
  xLabel: string;
  yLabel: string;
  series: SeriesSpec[];
  /** Fixed y range (e.g. [0, 1] for accuracy); otherwise from the data, starting at 0. */
  yDomain?: [number, number];
  maxPoints?: number;
}

interface Series extends SeriesSpec {
  xs: number[];
  ys: number[];
  path: SVGPathElement;
  dotsGroup: SVGGElement;
}

const WIDTH = 480;
const HEIGHT = 220;
const MARGIN = { top: 12, right: 14, bottom: 36, left: 52 };

function el<K extends keyof SVGElementTagNameMap>(name: K, attrs: Record<string, string | number> = {}): SVGElementTagNameMap[K] {
  const node = document.createElementNS(SVG, name);
  for (const [key, value] of Object.entries(attrs)) node.setAttribute(key, String(value));
  return node;
}

/** About 5 round tick values covering [lo, hi]. */
function ticks(lo: number, hi: number, count = 5): number[] {
  if (!(hi > lo)) return [lo];
  const raw = (hi - lo) / count;
  const magnitude = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * magnitude).find((s) => s >= raw) ?? raw;
  const out: number[] = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi + step * 1e-9; v += step) out.push(Number(v.toPrecision(12)));
  return out;
}

function formatTick(value: number): string {
  if (value === 0) return '0';
  const abs = Math.abs(value);
  if (abs >= 1e4) return `${(value / 1e3).toFixed(0)}k`;
  if (abs >= 1000) return `${(value / 1e3).toFixed(1)}k`;
  return String(Number(value.toPrecision(3)));
}

export class LineChart {
  readonly element: HTMLElement;
  private readonly svg: SVGSVGElement;
  private readonly axes: SVGGElement;
  private readonly series: Series[];
  private readonly latest: HTMLElement;
  private readonly options: ChartOptions;
  private pending = false;

  constructor(container: HTMLElement, options: ChartOptions) {
    this.options = options;
    const figure = document.createElement('figure');
    figure.className = 'chart';
    const caption = document.createElement('figcaption');
    caption.textContent = options.title;
    const svg = el('svg', {
      viewBox: `0 0 ${WIDTH} ${HEIGHT}`,
      role: 'img',
      'aria-label': `${options.title}: ${options.yLabel} against ${options.xLabel}`,
    });
    const axes = el('g', { class: 'axes' });
    svg.append(axes);
    this.series = options.series.map((spec) => {
      const path = el('path', {
        fill: 'none',
        stroke: spec.color,
        'stroke-width': 1.6,
        'stroke-linejoin': 'round',
        class: 'series',
        'data-series': spec.name,
        ...(spec.dashed ? { 'stroke-dasharray': '4 3' } : {}),
      });
      const dotsGroup = el('g', { fill: spec.color });
      svg.append(path, dotsGroup);
      return { ...spec, xs: [], ys: [], path, dotsGroup };
    });
    const legend = document.createElement('ul');
    legend.className = 'legend';
    for (const spec of options.series) {
      const item = document.createElement('li');
      const swatch = document.createElement('span');
      swatch.className = `swatch${spec.dashed ? ' dashed' : ''}`;
      swatch.style.setProperty('--color', spec.color);
      item.append(swatch, spec.name);
      legend.append(item);
    }
    const latest = document.createElement('p');
    latest.className = 'latest';
    figure.append(caption, svg, legend, latest);
    container.append(figure);
    this.element = figure;
    this.svg = svg;
    this.axes = axes;
    this.latest = latest;
    this.draw();
  }

  /** Appends a point to the series named `name`. */
  push(name: string, x: number, y: number): void {
    const series = this.series.find((s) => s.name === name);
    if (series === undefined || !Number.isFinite(y)) return;
    series.xs.push(x);
    series.ys.push(y);
    this.schedule();
  }

  clear(): void {
    for (const s of this.series) {
      s.xs.length = 0;
      s.ys.length = 0;
    }
    this.schedule();
  }

  /** Number of points drawn in the paths (for tests). */
  get pointCount(): number {
    return this.series.reduce((n, s) => n + s.xs.length, 0);
  }

  private schedule(): void {
    if (this.pending) return;
    this.pending = true;
    requestAnimationFrame(() => {
      this.pending = false;
      this.draw();
    });
  }

  private draw(): void {
    const { yDomain, maxPoints = 600 } = this.options;
    const all = this.series.filter((s) => s.xs.length > 0);
    let xMax = Math.max(1, ...all.map((s) => s.xs[s.xs.length - 1]!));
    const xMin = Math.min(0, ...all.map((s) => s.xs[0]!));
    if (xMax === xMin) xMax = xMin + 1;
    let [yMin, yMax] = yDomain ?? [0, Math.max(1e-9, ...all.map((s) => Math.max(...s.ys)))];
    if (yDomain === undefined) yMax *= 1.08;
    if (yMax === yMin) yMax = yMin + 1;
    const plotW = WIDTH - MARGIN.left - MARGIN.right;
    const plotH = HEIGHT - MARGIN.top - MARGIN.bottom;
    const sx = (x: number) => MARGIN.left + ((x - xMin) / (xMax - xMin)) * plotW;
    const sy = (y: number) => MARGIN.top + (1 - (y - yMin) / (yMax - yMin)) * plotH;

    this.axes.replaceChildren();
    for (const t of ticks(yMin, yMax)) {
      this.axes.append(
        el('line', { x1: MARGIN.left, x2: WIDTH - MARGIN.right, y1: sy(t), y2: sy(t), class: 'grid' }),
        Object.assign(el('text', { x: MARGIN.left - 6, y: sy(t) + 4, 'text-anchor': 'end', class: 'tick' }), {
          textContent: formatTick(t),
        }),
      );
    }
    for (const t of ticks(xMin, xMax, 6)) {
      this.axes.append(
        el('line', { x1: sx(t), x2: sx(t), y1: HEIGHT - MARGIN.bottom, y2: HEIGHT - MARGIN.bottom + 4, class: 'axis' }),
        Object.assign(el('text', { x: sx(t), y: HEIGHT - MARGIN.bottom + 16, 'text-anchor': 'middle', class: 'tick' }), {
          textContent: formatTick(t),
        }),
      );
    }
    this.axes.append(
      el('line', { x1: MARGIN.left, x2: WIDTH - MARGIN.right, y1: HEIGHT - MARGIN.bottom, y2: HEIGHT - MARGIN.bottom, class: 'axis' }),
      el('line', { x1: MARGIN.left, x2: MARGIN.left, y1: MARGIN.top, y2: HEIGHT - MARGIN.bottom, class: 'axis' }),
      Object.assign(el('text', { x: MARGIN.left + plotW / 2, y: HEIGHT - 4, 'text-anchor': 'middle', class: 'label' }), {
        textContent: this.options.xLabel,
      }),
      Object.assign(
        el('text', {
          x: 12,
          y: MARGIN.top + plotH / 2,
          'text-anchor': 'middle',
          class: 'label',
          transform: `rotate(-90 12 ${MARGIN.top + plotH / 2})`,
        }),
        { textContent: this.options.yLabel },
      ),
    );

    const latest: string[] = [];
    for (const s of this.series) {
      const n = s.xs.length;
      const stride = Math.max(1, Math.ceil(n / maxPoints));
      let d = '';
      for (let i = 0; i < n; i += stride) {
        const j = Math.min(n - 1, i + stride - 1);
        d += `${d === '' ? 'M' : 'L'}${sx(s.xs[j]!).toFixed(1)},${sy(s.ys[j]!).toFixed(1)}`;
      }
      s.path.setAttribute('d', d);
      s.path.setAttribute('data-points', String(n));
      if (s.dots) {
        s.dotsGroup.replaceChildren(...s.xs.map((x, i) => el('circle', { cx: sx(x), cy: sy(s.ys[i]!), r: 3 })));
      }
      if (n > 0) latest.push(`${s.name}: ${(s.format ?? ((y: number) => y.toFixed(3)))(s.ys[n - 1]!)}`);
    }
    this.latest.textContent = latest.length > 0 ? latest.join(' · ') : 'no data yet';
    this.svg.dataset.points = String(this.pointCount);
  }
}
