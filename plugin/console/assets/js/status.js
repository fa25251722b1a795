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

export async function render(box) {
  const s = await admin('GET', '/status');
  const x = s.index;
  const rb = x.rebuild;
  const pct = rb.estimated_total > 0 ? Math.min(100, Math.round((rb.templates / rb.estimated_total) * 100)) : 100;
  const bar = h('progress', { id: 'rebuild-progress', max: 100, value: pct }, `${pct} %`);
  box.append(
    h('div', { class: 'card', id: 'index-status' }, h('h2', {}, 'Template index'), h('dl', { class: 'kv' },
      h('dt', {}, 'Templates'), h('dd', { id: 'index-templates' }, String(x.templates)),
      h('dt', {}, 'Namespaces'), h('dd', { id: 'index-namespaces' }, String(x.namespaces)),
      h('dt', {}, 'Last rebuild'), h('dd', { id: 'index-rebuild' },
        `${rb.templates} templates read from the store in ${rb.took_ms} ms (${rb.per_second}/s)`),
      h('dt', {}, 'Progress'), h('dd', {}, bar, ` ${rb.templates} of about ${rb.estimated_total || rb.templates}`)),
    h('p', { class: 'muted' }, 'The index is rebuilt from the store when facegate starts, before it answers; ',
      'while it runs, its progress (count, rate, ETA) is logged every 5 seconds.')),
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
}
