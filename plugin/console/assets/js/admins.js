// Administrators (create with TOTP enrollment by QR code, re-enroll,
// delete) and the open admin sessions.
import { admin, adminBlob } from './api.js';
import { h, when, flash, confirmButton, secretPanel } from './dom.js';

export async function render(box, { me }) {
  const slot = h('div', {});
  const admins = h('tbody', { id: 'admins-body' });
  const sessions = h('tbody', { id: 'sessions-body' });

  async function qr(name) {
    const blob = await adminBlob('/admins/' + encodeURIComponent(name) + '/totp.png');
    const url = URL.createObjectURL(blob);
    const img = h('img', { src: url, alt: 'TOTP enrollment QR code for ' + name });
    img.addEventListener('load', () => URL.revokeObjectURL(url));
    return h('div', { class: 'qr' }, h('p', {}, 'Scan it with an authenticator app; it is served once.'), img);
  }

  async function load() {
    const [a, s] = await Promise.all([admin('GET', '/admins'), admin('GET', '/sessions')]);
    admins.replaceChildren(...a.admins.map((ad) => h('tr', { 'data-admin': ad.name },
      h('td', {}, ad.name), h('td', {}, when(ad.created_at)), h('td', {}, when(ad.enrolled_at)), h('td', {}, when(ad.last_login_at)),
      h('td', {}, confirmButton('Re-enroll TOTP', 'Click again: closes its sessions', async () => {
        try {
          const out = await admin('POST', '/admins/' + encodeURIComponent(ad.name) + '/totp');
          slot.replaceChildren(secretPanel('New TOTP seed of ' + ad.name, [['otpauth URI', out.admin_totp_uri, 'secret-totp']],
            'Shown once.', await qr(ad.name)));
          await load();
        } catch (e) { flash(e.message, true); }
      }, 'secondary small'), ad.name === me.admin ? null : confirmButton('Delete', 'Click again to delete', async () => {
        try { await admin('DELETE', '/admins/' + encodeURIComponent(ad.name)); await load(); } catch (e) { flash(e.message, true); }
      })))));
    sessions.replaceChildren(...s.sessions.map((se) => h('tr', {},
      h('td', { class: 'mono' }, se.id), h('td', {}, se.admin), h('td', {}, when(se.created_at)), h('td', {}, when(se.expires_at)),
      h('td', { class: 'mono' }, se.remote_addr || ''),
      h('td', {}, confirmButton('Close', 'Click again to close', async () => {
        try { await admin('DELETE', '/sessions/' + se.id); await load(); } catch (e) { flash(e.message, true); }
      })))));
  }

  const f = h('form', { class: 'card row', id: 'admin-create' },
    h('label', {}, 'New administrator', h('input', { name: 'name', required: true, pattern: '[A-Za-z0-9_.\\-]{1,64}' })),
    h('div', {}, h('button', { type: 'submit' }, 'Create administrator')));
  f.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    try {
      const name = f.elements.name.value.trim();
      const out = await admin('POST', '/admins', { name });
      f.reset();
      slot.replaceChildren(secretPanel('Administrator ' + out.admin + ' created',
        [['Admin token', out.admin_token, 'secret-admin-token'], ['otpauth URI', out.admin_totp_uri, 'secret-totp']],
        'The token and the TOTP seed are shown once.', await qr(out.admin)));
      await load();
    } catch (e) { flash(e.message, true); }
  });
  box.append(f, slot,
    h('div', { class: 'card' }, h('h2', {}, 'Administrators'), h('table', {}, h('thead', {}, h('tr', {},
      ...['Name', 'Created', 'TOTP enrolled', 'Last sign-in', ''].map((t) => h('th', {}, t)))), admins)),
    h('div', { class: 'card' }, h('h2', {}, 'Open admin sessions'), h('table', {}, h('thead', {}, h('tr', {},
      ...['Id', 'Admin', 'Opened', 'Expires', 'Address', ''].map((t) => h('th', {}, t)))), sessions)));
  await load();
}
