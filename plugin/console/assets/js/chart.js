// Hand-written SVG charts (no library, nothing inline: colours and sizes
// come from console.css classes and SVG attributes).

const NS = 'http://www.w3.org/2000/svg';
const W = 720;
const H = 180;
const PAD = { l: 48, r: 12, t: 12, b: 26 };

function el(tag, attrs = {}, text) {
  const e = document.createElementNS(NS, tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, String(v));
  if (text !== undefined) e.textContent = text;
  return e;
}

// short writes an axis value in at most about five characters.
function short(v) {
  if (v >= 1e6) return +(v / 1e6).toPrecision(3) + 'M';
  if (v >= 1e4) return +(v / 1e3).toPrecision(3) + 'k';
  return String(+v.toPrecision(3));
}

// niceMax rounds a maximum up to 1, 2 or 5 times a power of ten.
export function niceMax(v) {
  if (!(v > 0)) return 1;
  const p = 10 ** Math.floor(Math.log10(v));
  for (const m of [1, 2, 5, 10]) if (v <= m * p) return m * p;
  return 10 * p;
}

function timeLabel(t, stepS) {
  const d = new Date(t * 1000);
  const hm = d.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });
  return stepS >= 3600 ? d.toLocaleDateString([], { month: 'short', day: 'numeric' }) + ' ' + hm : hm;
}

// chart draws series over points as bars (kind 'bars', stacked in order)
// or lines (kind 'lines'). series: [{name, cls, value: (point) => number}].
// The svg carries data-total (sum of every series over every point, bars
// only) and each bar or vertex data-t and data-v, for tests and tooltips.
export function chart(id, title, points, series, { kind = 'bars', unit = '', stepS = 60 } = {}) {
  const svg = el('svg', { id, class: 'chart', viewBox: `0 0 ${W} ${H}`, role: 'img', 'aria-label': title });
  const n = points.length || 1;
  const iw = W - PAD.l - PAD.r;
  const ih = H - PAD.t - PAD.b;
  const x = (i) => PAD.l + (i * iw) / n;
  let top = 0;
  let total = 0;
  for (const p of points) {
    const vals = series.map((s) => s.value(p));
    top = Math.max(top, kind === 'bars' ? vals.reduce((a, b) => a + b, 0) : Math.max(...vals));
    total += vals.reduce((a, b) => a + b, 0);
  }
  const ymax = niceMax(top);
  const y = (v) => PAD.t + ih - (v / ymax) * ih;
  // grid and y labels
  for (const f of [0, 0.5, 1]) {
    const gy = y(ymax * f);
    svg.append(el('line', { x1: PAD.l, x2: W - PAD.r, y1: gy, y2: gy, class: 'grid' }));
    svg.append(el('text', { x: PAD.l - 6, y: gy + 4, class: 'axis', 'text-anchor': 'end' }, short(ymax * f)));
  }
  // x labels: about six
  const every = Math.max(1, Math.ceil(n / 6));
  for (let i = 0; i < points.length; i += every) {
    svg.append(el('text', { x: x(i), y: H - 8, class: 'axis' }, timeLabel(points[i].t, stepS)));
  }
  if (kind === 'bars') {
    const bw = Math.max(1, iw / n - (n > 120 ? 0 : 1));
    points.forEach((p, i) => {
      let base = 0;
      series.forEach((s) => {
        const v = s.value(p);
        if (!v) return;
        const r = el('rect', { x: x(i), y: y(base + v), width: bw, height: Math.max(0.5, y(base) - y(base + v)),
          class: 'bar ' + s.cls, 'data-series': s.name, 'data-t': p.t, 'data-v': v });
        r.append(el('title', {}, `${timeLabel(p.t, stepS)} ${s.name}: ${v}${unit}`));
        svg.append(r);
        base += v;
      });
    });
  } else {
    series.forEach((s) => {
      const pts = points.map((p, i) => `${(x(i) + iw / n / 2).toFixed(1)},${y(s.value(p)).toFixed(1)}`);
      svg.append(el('polyline', { points: pts.join(' '), class: 'line ' + s.cls, 'data-series': s.name }));
      points.forEach((p, i) => {
        const v = s.value(p);
        if (!v) return;
        const c = el('circle', { cx: x(i) + iw / n / 2, cy: y(v), r: 2.5, class: 'dot ' + s.cls, 'data-series': s.name,
          'data-t': p.t, 'data-v': v });
        c.append(el('title', {}, `${timeLabel(p.t, stepS)} ${s.name}: ${v}${unit}`));
        svg.append(c);
      });
    });
  }
  svg.setAttribute('data-total', String(total));
  svg.setAttribute('data-max', String(top));
  const legend = document.createElement('div');
  legend.className = 'legend';
  for (const s of series) {
    const sw = document.createElement('span');
    sw.className = 'swatch ' + s.cls;
    legend.append(sw, s.name + ' ');
  }
  const fig = document.createElement('figure');
  fig.className = 'chart-box';
  const cap = document.createElement('figcaption');
  cap.textContent = title;
  fig.append(cap, svg, legend);
  return fig;
}
