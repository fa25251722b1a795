// Namespaces with their template and uid counts.
import { admin } from './api.js';
import { h, when, flash, confirmButton } from './dom.js';

export async function render(box) {
  const body = h('tbody', { id: 'ns-body' });
  async function load() {
    const out = await admin('GET', '/namespaces');
    body.replaceChildren(...out.namespaces.map((ns) => h('tr', { 'data-ns': ns.name },
      h('td', { class: 'mono' }, ns.name), h('td', {}, ns.owner), h('td', {}, when(ns.created_at)),
      h('td', { class: 'templates' }, ns.templates ?? ''), h('td', {}, ns.uids ?? ''),
      h('td', {}, confirmButton('Delete', 'Click again: erases its faces', async () => {
        try { await admin('DELETE', '/namespaces/' + encodeURIComponent(ns.name)); await load(); } catch (e) { flash(e.message, true); }
      })))));
    if (out.namespaces.length === 0) body.append(h('tr', {}, h('td', { colspan: 6, class: 'muted' }, 'No namespaces yet.')));
  }
  const f = h('form', { class: 'card row', id: 'ns-create' },
    h('label', {}, 'Name', h('input', { name: 'name', required: true })),
    h('label', {}, 'Owner', h('input', { name: 'owner', required: true })),
    h('div', {}, h('button', { type: 'submit' }, 'Create namespace')));
  f.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    try {
      await admin('POST', '/namespaces', { name: f.elements.name.value.trim(), owner: f.elements.owner.value.trim() });
      f.reset();
      await load();
    } catch (e) { flash(e.message, true); }
  });
  box.append(f, h('div', { class: 'card' }, h('h2', {}, 'Namespaces'),
    h('table', {}, h('thead', {}, h('tr', {}, ...['Name', 'Owner', 'Created', 'Templates', 'UIDs', ''].map((t) => h('th', {}, t)))), body)));
  await load();
}
