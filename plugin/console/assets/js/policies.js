// Policy status: active version, last reload and its error; reload.
import { admin } from './api.js';
import { h, when, flash } from './dom.js';

export async function render(box) {
  const card = h('div', { class: 'card', id: 'policy-status' });
  async function load() {
    const p = (await admin('GET', '/policies')).policies;
    card.replaceChildren(h('h2', {}, 'Policies'), h('dl', { class: 'kv' },
      h('dt', {}, 'Active version'), h('dd', { class: 'mono', id: 'policy-version' }, p.version),
      h('dt', {}, 'Source'), h('dd', {}, p.embedded ? 'built into the binary' : 'policies_dir'),
      h('dt', {}, 'Compiled'), h('dd', {}, when(p.loaded_at)),
      h('dt', {}, 'Last reload'), h('dd', {}, p.last_reload_at ? when(p.last_reload_at) : 'none since start'),
      h('dt', {}, 'Last error'), h('dd', {}, p.last_error ? h('pre', { class: 'err', id: 'policy-error' }, when(p.last_error_at) + '\n' + p.last_error) : 'none')),
    reload);
  }
  const reload = h('button', { type: 'button', id: 'policy-reload' }, 'Reload policies now');
  reload.addEventListener('click', async () => {
    try { await admin('POST', '/policies/reload'); flash('Policies reloaded.'); } catch (e) { flash(e.message, true); }
    await load();
  });
  box.append(card);
  await load();
}
