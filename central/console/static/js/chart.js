/**
 * @module console/chart
 * A small SVG line chart for score trends (no chart library needed offline).
 */
import { h, svg } from './dom.js';
import { fmtNum } from './i18n.js';

const COLORS = ['#1f5fa8', '#c0392b', '#1e8449', '#8e44ad', '#b9770e', '#117a8b'];

/**
 * lineChart({ labels: ['01','02'], series: [{ name, values: [90, null] }], min: 0, max: 100 })
 * Missing values (null) break the line.
 */
export function lineChart({ labels, series, min = 0, max = 100, title }) {
  const W = 640;
  const H = 240;
  const L = 40;
  const B = 24;
  const x = (i) => L + (labels.length > 1 ? (i * (W - L - 10)) / (labels.length - 1) : (W - L) / 2);
  const y = (v) => H - B - ((v - min) / (max - min || 1)) * (H - B - 10);
  const el = svg('svg', { viewBox: `0 0 ${W} ${H}`, class: 'chart', role: 'img', 'aria-label': title ?? '' });
  for (let v = min; v <= max; v += (max - min) / 4) {
    el.append(
      svg('line', { x1: L, x2: W - 10, y1: y(v), y2: y(v), class: 'gridline' }),
      svg('text', { x: L - 6, y: y(v) + 4, class: 'axis', 'text-anchor': 'end' }, fmtNum(v)),
    );
  }
  labels.forEach((l, i) => {
    el.append(svg('text', { x: x(i), y: H - 6, class: 'axis', 'text-anchor': 'middle' }, l));
  });
  series.forEach((s, k) => {
    const color = COLORS[k % COLORS.length];
    let d = '';
    let pen = false;
    s.values.forEach((v, i) => {
      if (v === null || v === undefined) {
        pen = false;
        return;
      }
      d += `${pen ? 'L' : 'M'}${x(i).toFixed(1)},${y(v).toFixed(1)}`;
      pen = true;
      el.append(
        svg(
          'circle',
          { cx: x(i), cy: y(v), r: 3, fill: color },
          svg('title', {}, `${s.name} ${labels[i]}: ${fmtNum(v, 2)}`),
        ),
      );
    });
    el.append(svg('path', { d, stroke: color, fill: 'none', 'stroke-width': 2 }));
  });
  const legend = h(
    'div',
    { class: 'legend' },
    ...series.map((s, k) =>
      h('span', {}, h('i', { style: `background:${COLORS[k % COLORS.length]}` }), s.name),
    ),
  );
  return h('figure', { class: 'chartfig' }, el, legend);
}
