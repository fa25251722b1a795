// Keys: one page at a time, create (secret shown once), suspend/resume,
// rotate with grace, revoke, and edit scopes, namespaces and limits.
import { admin } from './api.js';
import { h, when, list, flash, confirmButton, secretPanel } from './dom.js';

const PAGE = 50;

export async function render(box) {
  const state = { cursors: [''], page: 0 };
  const slot = h('div', { id: 'key-secret-slot' });
  const table = h('tbody', { id: 'keys-body' });
  const info = h('span', { class: 'muted', id: 'keys-page' });
  const prev = h('button', { type: 'button', class: 'secondary small', id: 'keys-prev' }, 'Previous');
  const next = h('button', { type: 'button', class: 'secondary small', id: 'keys-next' }, 'Next');
  const editSlot = h('div', {});

  async function load() {
    const after = state.cursors[state.page];
    const page = await admin('GET', '/keys?limit=' + PAGE + (after ? '&after=' + encodeURIComponent(after) : ''));
    table.replaceChildren(...page.keys.map((k) => row(k)));
    if (page.keys.length === 0) table.append(h('tr', {}, h('td', { colspan: 8, class: 'muted' }, 'No keys yet.')));
    state.cursors[state.page + 1] = page.next || '';
    info.textContent = 'Page ' + (state.page + 1) + ' · ' + page.keys.length + ' keys' + (page.next ? ' · more follow' : '');
    prev.disabled = state.page === 0;
    next.disabled = !page.next;
  }
  prev.addEventListener('click', () => { state.page--; load().catch((e) => flash(e.message, true)); });
  next.addEventListener('click', () => { state.page++; load().catch((e) => flash(e.message, true)); });

  function act(fn) {
    return async () => {
      try { await fn(); await load(); } catch (e) { flash(e.message, true); }
    };
  }

  function row(k) {
    const actions = h('td', { class: 'actions' });
    if (k.status === 'active') {
      actions.append(h('button', { type: 'button', class: 'secondary small', 'data-action': 'suspend', onclick: act(() => admin('POST', '/keys/' + k.id + '/suspend')) }, 'Suspend'));
    } else if (k.status === 'suspended') {
      actions.append(h('button', { type: 'button', class: 'secondary small', 'data-action': 'resume', onclick: act(() => admin('POST', '/keys/' + k.id + '/resume')) }, 'Resume'));
    }
    if (k.status !== 'revoked') {
      const grace = h('select', { class: 'grace', 'aria-label': 'grace' },
        h('option', { value: '0' }, 'no grace'), h('option', { value: '3600' }, '1 h grace'), h('option', { value: '86400' }, '24 h grace'));
      const rotate = h('button', { type: 'button', class: 'secondary small', 'data-action': 'rotate' }, 'Rotate');
      rotate.addEventListener('click', act(async () => {
        const out = await admin('POST', '/keys/' + k.id + '/rotate', { grace_s: Number(grace.value) });
        showSecret('New secret of ' + k.id, out.api_key, out.api_secret,
          out.previous_valid_until ? 'The previous secret keeps working until ' + when(out.previous_valid_until) + '.' : 'The previous secret no longer works.');
      }));
      actions.append(rotate, grace,
        h('button', { type: 'button', class: 'secondary small', 'data-action': 'edit', onclick: () => edit(k) }, 'Edit'),
        confirmButton('Revoke', 'Click again to revoke', act(() => admin('POST', '/keys/' + k.id + '/revoke'))));
    }
    return h('tr', { 'data-key': k.id, 'data-status': k.status },
      h('td', { class: 'mono' }, k.id),
      h('td', {}, k.owner, k.label ? h('div', { class: 'muted' }, k.label) : null),
      h('td', { class: 'status-' + k.status }, k.status, k.expires_at ? h('div', { class: 'muted' }, 'expires ' + when(k.expires_at)) : null),
      h('td', {}, k.tier, k.limits ? h('div', { class: 'mono muted' }, JSON.stringify(k.limits)) : null),
      h('td', { class: 'mono' }, (k.scopes || []).join(', ')),
      h('td', { class: 'mono' }, (k.namespaces || []).join(', ')),
      h('td', {}, (k.auth_modes || []).join(', '), k.allowed_origins ? h('div', { class: 'muted mono' }, k.allowed_origins.join(' ')) : null),
      h('td', { class: 'muted' }, k.last_used_at ? when(k.last_used_at) : 'never'),
      actions);
  }

  function showSecret(title, id, secret, note) {
    slot.replaceChildren(secretPanel(title, [['API key', id, 'secret-key-id'], ['API secret', secret, 'secret-value']],
      'The secret is shown once and is not stored in readable form: copy it now. ' + (note || '')));
  }

  function form(k, submitLabel, onSubmit) {
    const f = h('form', { class: 'card', id: k ? 'key-edit' : 'key-create' });
    const field = (label, name, value, attrs = {}) => h('label', {}, label, h('input', { name, value: value || '', ...attrs }));
    const modes = ['secret', 'signature', 'domain'].map((m) => h('label', { class: 'inline' },
      h('input', { type: 'checkbox', name: 'mode', value: m, checked: k ? (k.auth_modes || []).includes(m) : m !== 'domain' }), m));
    f.append(h('h2', {}, k ? 'Edit ' + k.id : 'Create a key'),
      h('div', { class: 'row' },
        field('Owner', 'owner', k && k.owner, { required: true, readonly: !!k }),
        field('Label', 'label', k && k.label),
        field('Tier', 'tier', k ? k.tier : 'free')),
      h('div', { class: 'row' },
        field('Scopes (comma-separated)', 'scopes', k ? (k.scopes || []).join(', ') : 'faces/*'),
        field('Namespaces', 'namespaces', k && (k.namespaces || []).join(', ')),
        field('Allowed origins (domain mode)', 'origins', k && (k.allowed_origins || []).join(', '))),
      h('div', {}, h('strong', {}, 'Auth modes '), ...modes),
      h('label', {}, 'Limit overrides (JSON object, empty for none)',
        h('textarea', { name: 'limits', rows: 2 }, k && k.limits ? JSON.stringify(k.limits) : '')),
      h('button', { type: 'submit' }, submitLabel));
    f.addEventListener('submit', async (ev) => {
      ev.preventDefault();
      const v = (n) => f.elements[n].value.trim();
      let limits;
      try { limits = v('limits') ? JSON.parse(v('limits')) : undefined; } catch { flash('Limit overrides are not valid JSON', true); return; }
      const params = {
        owner: v('owner'), label: v('label') || undefined, tier: v('tier') || undefined,
        scopes: list(v('scopes')), namespaces: list(v('namespaces')), allowed_origins: list(v('origins')),
        auth_modes: [...f.querySelectorAll('input[name=mode]:checked')].map((i) => i.value), limits,
      };
      if (k) {
        params.expires_at = k.expires_at || undefined;
        params.client_cert_sha256 = k.client_cert_sha256 || undefined;
      }
      try { await onSubmit(params, f); await load(); } catch (e) { flash(e.message, true); }
    });
    return f;
  }

  function edit(k) {
    editSlot.replaceChildren(form(k, 'Save', async (params) => {
      await admin('PUT', '/keys/' + k.id, params);
      editSlot.replaceChildren();
      flash('Saved ' + k.id);
    }));
  }

  box.append(
    form(null, 'Create key', async (params, f) => {
      const out = await admin('POST', '/keys', params);
      f.reset();
      showSecret('Key created', out.api_key, out.api_secret, '');
    }),
    slot, editSlot,
    h('div', { class: 'card' }, h('h2', {}, 'Keys'),
      h('table', { id: 'keys-table' }, h('thead', {}, h('tr', {}, ...['Key', 'Owner', 'Status', 'Tier / limits', 'Scopes', 'Namespaces', 'Auth', 'Last used', ''].map((t) => h('th', {}, t)))), table),
      h('div', { class: 'pager' }, prev, next, info)));
  await load();
}
