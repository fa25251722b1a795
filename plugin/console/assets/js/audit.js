// The audit log, filtered in the page by actor, action, outcome and text.
import { admin } from './api.js';
import { h } from './dom.js';

export async function render(box) {
  const body = h('tbody', { id: 'audit-body' });
  const count = h('span', { class: 'muted', id: 'audit-count' });
  const f = h('form', { class: 'card row', id: 'audit-filter' },
    h('label', {}, 'Actor', h('input', { name: 'actor' })),
    h('label', {}, 'Action', h('input', { name: 'action', placeholder: 'key.revoke, admin.session' })),
    h('label', {}, 'Text', h('input', { name: 'text', placeholder: 'target, address, detail' })),
    h('label', {}, 'Outcome', h('select', { name: 'ok' }, h('option', { value: '' }, 'any'), h('option', { value: 'true' }, 'succeeded'), h('option', { value: 'false' }, 'failed'))),
    h('label', {}, 'Latest', h('select', { name: 'limit' }, ...[100, 500, 1000].map((n) => h('option', { value: n }, String(n))))));
  let entries = [];
  function show() {
    const q = (n) => f.elements[n].value.trim().toLowerCase();
    const rows = entries.filter((e) => (!q('actor') || e.actor.toLowerCase().includes(q('actor')))
      && (!q('action') || e.action.toLowerCase().includes(q('action')))
      && (!q('ok') || String(e.ok) === q('ok'))
      && (!q('text') || [e.target, e.remote_addr, e.detail].join(' ').toLowerCase().includes(q('text'))));
    body.replaceChildren(...rows.slice().reverse().map((e) => h('tr', { 'data-action': e.action },
      h('td', { class: 'mono' }, e.time.replace('T', ' ').replace(/\.\d+Z$/, 'Z')), h('td', {}, e.actor), h('td', { class: 'mono' }, e.action),
      h('td', { class: 'mono' }, e.target || ''), h('td', { class: 'mono' }, e.remote_addr || ''),
      h('td', { class: 'ok-' + e.ok }, e.ok ? 'ok' : 'failed'), h('td', {}, e.detail || ''))));
    count.textContent = rows.length + ' of ' + entries.length + ' entries';
  }
  async function load() {
    entries = (await admin('GET', '/audit?limit=' + f.elements.limit.value)).entries;
    show();
  }
  f.addEventListener('input', show);
  f.elements.limit.addEventListener('change', load);
  f.addEventListener('submit', (ev) => ev.preventDefault());
  box.append(f, h('div', { class: 'card' }, h('h2', {}, 'Audit log ', count),
    h('table', {}, h('thead', {}, h('tr', {}, ...['Time (UTC)', 'Actor', 'Action', 'Target', 'Address', 'Outcome', 'Detail'].map((t) => h('th', {}, t)))), body)));
  await load();
}
