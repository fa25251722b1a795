// Usage: requests, images, denials by reason and latency per key and route
// over time (GET /usage, kept by the server per minute for 24 h), drawn as
// SVG charts.
import { admin } from './api.js';
import { h, flash } from './dom.js';
import { chart } from './chart.js';

const WINDOWS = { '1h': [3600, '1m'], '6h': [6 * 3600, '5m'], '24h': [24 * 3600, '15m'] };
const filters = { key: '', route: '', window: '1h' };

function option(value, label, selected) {
  return h('option', { value, selected: value === selected }, label);
}

function keyLabel(k) {
  if (k === '~none') return 'calls without an existing key';
  if (k === '~other') return 'other keys (past the tracked maximum)';
  return k;
}

export async function render(box) {
  const form = h('form', { class: 'card row', id: 'usage-filters' });
  const charts = h('div', { id: 'usage-charts' });
  const summary = h('div', { class: 'card', id: 'usage-summary' });
  box.append(form, summary, charts);

  async function load() {
    const [span, step] = WINDOWS[filters.window];
    const q = new URLSearchParams({ since: String(Math.floor(Date.now() / 1000) - span), step });
    if (filters.key) q.set('key', filters.key);
    if (filters.route) q.set('route', filters.route);
    const u = (await admin('GET', '/usage?' + q)).usage;
    form.replaceChildren(
      h('label', {}, 'Key', h('select', { name: 'key', id: 'usage-key' }, option('', 'all keys', filters.key),
        ...[...new Set([...u.keys, filters.key].filter(Boolean))].map((k) => option(k, keyLabel(k), filters.key)))),
      h('label', {}, 'Route', h('select', { name: 'route', id: 'usage-route' }, option('', 'all routes', filters.route),
        ...[...new Set([...u.routes, filters.route].filter(Boolean))].map((r) => option(r, r, filters.route)))),
      h('label', {}, 'Window', h('select', { name: 'window', id: 'usage-window' },
        ...Object.keys(WINDOWS).map((w) => option(w, `last ${w} (per ${WINDOWS[w][1]})`, filters.window)))),
      h('div', {}, h('button', { type: 'submit', id: 'usage-refresh' }, 'Refresh')));
    const t = u.totals;
    const reasons = Object.entries(t.denials_by_reason || {}).sort((a, b) => b[1] - a[1]);
    summary.replaceChildren(h('h2', {}, 'Usage ', h('span', { class: 'muted' },
      `${filters.key ? keyLabel(filters.key) : 'all keys'} · ${filters.route || 'all routes'} · since ${new Date(u.since * 1000).toLocaleString()}`)),
    h('dl', { class: 'kv', id: 'usage-totals' },
      h('dt', {}, 'Requests'), h('dd', { id: 'usage-total-requests' }, String(t.requests)),
      h('dt', {}, 'Images'), h('dd', { id: 'usage-total-images' }, String(t.images)),
      h('dt', {}, 'Denials'), h('dd', { id: 'usage-total-denials' }, String(t.denials) +
        (reasons.length ? ' (' + reasons.map(([r, n]) => `${r}: ${n}`).join(', ') + ')' : '')),
      h('dt', {}, 'Latency'), h('dd', {}, t.requests ? `${t.latency_avg_ms} ms average, ${t.latency_max_ms} ms at most` : '–')),
    h('p', { class: 'muted' }, 'Kept in memory per key and route for 24 hours, by minute; ',
      `${u.series_tracked} key × route series tracked. Calls that name no existing key are counted together.`));
    const pts = u.points;
    const palette = ['bad', 'c2', 'c3', 'c5', 'c4', 'c1'];
    const reasonSeries = reasons.map(([r], i) => ({ name: r, cls: palette[i % palette.length], value: (p) => (p.denials_by_reason || {})[r] || 0 }));
    charts.replaceChildren(
      h('div', { class: 'card' }, chart('chart-requests', 'Requests', pts, [
        { name: 'admitted', cls: 'ok', value: (p) => p.requests - p.denials },
        { name: 'denied', cls: 'bad', value: (p) => p.denials }], { stepS: u.step_s })),
      h('div', { class: 'card' }, chart('chart-images', 'Images', pts, [
        { name: 'images', cls: 'c1', value: (p) => p.images }], { stepS: u.step_s })),
      h('div', { class: 'card' }, chart('chart-denials', 'Denials by reason', pts,
        reasonSeries.length ? reasonSeries : [{ name: 'denials', cls: 'bad', value: (p) => p.denials }], { stepS: u.step_s })),
      h('div', { class: 'card' }, chart('chart-latency', 'Latency (ms)', pts, [
        { name: 'average', cls: 'c1', value: (p) => p.latency_avg_ms },
        { name: 'maximum', cls: 'c2', value: (p) => p.latency_max_ms }], { kind: 'lines', unit: ' ms', stepS: u.step_s })));
    box.dataset.key = filters.key;
    box.dataset.loaded = String(Date.now());
  }
  form.addEventListener('change', (ev) => {
    if (ev.target.name in filters) filters[ev.target.name] = ev.target.value;
    load().catch((e) => flash(e.message, true));
  });
  form.addEventListener('submit', (ev) => { ev.preventDefault(); load().catch((e) => flash(e.message, true)); });
  await load();
}
