/**
 * Inline SVG charts, drawn with DOM calls (no chart library): horizontal bars, one per layer, with
 * the figure at the bar's end and the full label as the bar's tooltip.
 */
const SVG = 'http://www.w3.org/2000/svg';
const ROW = 20;
const LABEL_W = 190;
const BAR_W = 360;
const WIDTH = LABEL_W + BAR_W + 90;

function svg<K extends keyof SVGElementTagNameMap>(tag: K, attrs: Record<string, string | number>, text?: string): SVGElementTagNameMap[K] {
  const el = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, String(v));
  if (text !== undefined) el.textContent = text;
  return el;
}

export interface Bar {
  label: string;
  value: number;
  /** Shown instead of the value at the bar's end. */
  text?: string;
}

/** A bar chart; `max` fixes the scale (e.g. the field's 254 bits), otherwise the largest value. */
export function barChart(title: string, bars: Bar[], opts: { kind: string; max?: number; unit?: string }): SVGSVGElement {
  const height = ROW * bars.length + 30;
  const chart = svg('svg', { viewBox: `0 0 ${WIDTH} ${height}`, width: WIDTH, height, role: 'img', class: `chart chart-${opts.kind}`, 'aria-label': title, 'data-testid': `chart-${opts.kind}` });
  chart.appendChild(svg('title', {}, title));
  chart.appendChild(svg('text', { x: 0, y: 14, class: 'chart-title' }, title));
  const max = opts.max ?? Math.max(1, ...bars.map((b) => b.value));
  bars.forEach((b, i) => {
    const y = 24 + i * ROW;
    const w = Math.max(1, Math.round((b.value / max) * BAR_W));
    const g = svg('g', { class: 'bar-row' });
    g.appendChild(svg('title', {}, `${b.label}: ${b.text ?? b.value}${opts.unit ? ` ${opts.unit}` : ''}`));
    g.appendChild(svg('text', { x: LABEL_W - 6, y: y + 13, class: 'bar-label', 'text-anchor': 'end' }, b.label.length > 28 ? `${b.label.slice(0, 27)}…` : b.label));
    g.appendChild(svg('rect', { x: LABEL_W, y: y + 2, width: w, height: ROW - 6, rx: 2, class: 'bar' }));
    g.appendChild(svg('text', { x: LABEL_W + w + 6, y: y + 13, class: 'bar-value' }, b.text ?? b.value.toLocaleString('en-US')));
    chart.appendChild(g);
  });
  return chart;
}
