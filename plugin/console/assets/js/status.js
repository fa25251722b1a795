// Server status: the template index (what it holds, how its last rebuild
// from the store went), the store's size and the policies (GET /status).
import { admin } from './api.js';
import { h, when } from './dom.js';

function bytes(n) {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let i = 0;
  while (n >= 1024 && i < units.length - 1) { n /= 1024; i++; }
  return `${i ? n.toFixed(1) : n} ${units[i]}`;
}

function duration(s) {
  if (s < 60) return `${Math.round(s)} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min ${Math.round(s % 60)} s`;
  return `${Math.floor(s / 3600)} h ${Math.round((s % 3600) / 60)} min`;
}

// refreshEvery is how often the page reloads the status while the index loads.
const refreshEvery = 1000;
let refresh; // the pending refresh, one at most

export async function render(box) {
  clearTimeout(refresh);
  const s = await admin('GET', '/status');
  const x = s.index;
  const rb = x.rebuild;
  const building = x.state === 'building';
  const pct = rb.estimated_total > 0 ? Math.min(100, Math.round((rb.templates / rb.estimated_total) * 100)) : 100;
  const bar = h('progress', { id: 'rebuild-progress', max: 100, value: pct }, `${pct} %`);
  const state = {
    ready: 'ready',
    building: 'loading from the store: recognize, group, train, tags/remove and erasures answer 105 until it is built',
    failed: 'the load failed (see the log): restart facegate',
  }[x.state] || x.state;
  const rebuild = building
    ? `${rb.templates} templates read so far in ${Math.round(rb.took_ms / 1000)} s (${rb.per_second}/s), about ${duration(rb.eta_s)} left`
    : `${rb.templates} templates read from the store in ${rb.took_ms} ms (${rb.per_second}/s)`;
  box.append(
    h('div', { class: 'card', id: 'index-status' }, h('h2', {}, 'Template index'), h('dl', { class: 'kv' },
      h('dt', {}, 'State'), h('dd', { id: 'index-state', 'data-state': x.state, class: x.state === 'failed' ? 'error' : null }, state),
      h('dt', {}, 'Templates'), h('dd', { id: 'index-templates' }, String(x.templates)),
      h('dt', {}, 'Namespaces'), h('dd', { id: 'index-namespaces' }, String(x.namespaces)),
      h('dt', {}, building ? 'Rebuild' : 'Last rebuild'), h('dd', { id: 'index-rebuild', 'data-templates': String(rb.templates) }, rebuild),
      h('dt', {}, 'Progress'), h('dd', {}, bar, ` ${rb.templates} of about ${rb.estimated_total || rb.templates}`)),
    h('p', { class: 'muted' }, 'The index is rebuilt from the store when facegate starts; it serves meanwhile ',
      '(this page follows the rebuild every second) and logs its progress every 5 seconds.')),
    h('div', { class: 'card', id: 'store-status' }, h('h2', {}, 'Store'), h('dl', { class: 'kv' },
      h('dt', {}, 'LSM tree'), h('dd', {}, bytes(x.store_lsm_bytes)),
      h('dt', {}, 'Value log'), h('dd', {}, bytes(x.store_vlog_bytes)))));
  if (s.policies) {
    const p = s.policies;
    box.append(h('div', { class: 'card' }, h('h2', {}, 'Policies'), h('dl', { class: 'kv' },
      h('dt', {}, 'Active version'), h('dd', { class: 'mono' }, p.version),
      h('dt', {}, 'Compiled'), h('dd', {}, when(p.loaded_at)),
      h('dt', {}, 'Last error'), h('dd', {}, p.last_error ? h('span', { class: 'error' }, p.last_error) : 'none'))));
  }
  if (building) {
    refresh = setTimeout(() => {
      if (box.dataset.view !== 'status') return; // the operator went to another page
      box.replaceChildren();
      render(box).catch((e) => box.append(h('p', { class: 'error' }, String(e.message || e))));
    }, refreshEvery);
  }
}
