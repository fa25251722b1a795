// The console's shell: sign-in, sign-out, expiry and the views' router.
import { api, setCSRF, setSignedOutHandler } from './api.js';
import { flash, when } from './dom.js';
import * as keys from './keys.js';
import * as namespaces from './namespaces.js';
import * as tryit from './tryit.js';
import * as audit from './audit.js';
import * as policies from './policies.js';
import * as admins from './admins.js';
import * as usage from './usage.js';
import * as status from './status.js';

const views = { keys, namespaces, usage, tryit, audit, policies, status, admins };
const $ = (id) => document.getElementById(id);
let expiryTimer = 0;
let me = null;

function showSignin(message, bad) {
  me = null;
  setCSRF('');
  clearTimeout(expiryTimer);
  $('view-app').replaceChildren(); // drops any secret still shown
  $('view-app').hidden = true;
  $('nav').hidden = true;
  $('who').hidden = true;
  $('view-signin').hidden = false;
  document.body.dataset.state = 'signed-out';
  const err = $('signin-error');
  err.textContent = message || '';
  err.hidden = !message;
  err.classList.toggle('error', !!bad);
  flash('');
}

function signedIn(info) {
  me = info;
  setCSRF(info.csrf);
  $('view-signin').hidden = true;
  $('nav').hidden = false;
  $('who').hidden = false;
  $('who-name').textContent = info.admin;
  $('who-expiry').textContent = 'until ' + when(info.expires_at);
  document.body.dataset.state = 'signed-in';
  clearTimeout(expiryTimer);
  const left = info.expires_at * 1000 - Date.now();
  expiryTimer = setTimeout(() => showSignin('Your sign-in expired: sign in again.', true), Math.max(left, 0));
  route();
}

async function route() {
  if (!me) return;
  const name = (location.hash || '#keys').slice(1);
  const view = views[name] ? name : 'keys';
  for (const a of document.querySelectorAll('#nav a')) a.classList.toggle('active', a.dataset.view === view);
  const box = $('view-app');
  box.replaceChildren(); // leaving a view removes what it showed, secrets included
  box.hidden = false;
  box.dataset.view = view;
  flash('');
  try {
    await views[view].render(box, { me });
  } catch (e) {
    if (e.status !== 401) flash(e.message, true);
  }
}

async function signin(ev) {
  ev.preventDefault();
  const token = $('signin-token');
  const code = $('signin-code');
  const body = { token: token.value.trim(), code: code.value.trim() };
  token.value = '';
  code.value = '';
  $('signin-submit').disabled = true;
  try {
    signedIn(await api('POST', '/signin', body));
  } catch (e) {
    let msg = e.message;
    if (e.problem && e.problem.error === 'locked_out') msg = 'Too many failed sign-ins: locked out, retry later.';
    showSignin(msg, true);
  } finally {
    $('signin-submit').disabled = false;
  }
}

async function signout() {
  try { await api('POST', '/signout'); } catch { /* signed out either way */ }
  showSignin('Signed out.', false);
}

setSignedOutHandler((e) => showSignin(e.problem && e.problem.error === 'admin_session_expired'
  ? 'Your sign-in expired: sign in again.' : 'Signed out: ' + e.message, true));

document.addEventListener('DOMContentLoaded', async () => {
  $('signin-form').addEventListener('submit', signin);
  $('signout').addEventListener('click', signout);
  window.addEventListener('hashchange', route);
  try {
    signedIn(await api('GET', '/me'));
  } catch {
    showSignin('', false);
  }
});
