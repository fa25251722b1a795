// Calls to the console's API. The sign-in cookie (HttpOnly) goes along by
// itself; every change carries the CSRF token handed out at sign-in.

let csrf = '';
let onSignedOut = () => {};

export function setCSRF(token) { csrf = token || ''; }
export function setSignedOutHandler(fn) { onSignedOut = fn; }

// APIError carries the problem document of a failed call.
export class APIError extends Error {
  constructor(status, problem) {
    super((problem && (problem.detail || problem.title)) || ('HTTP ' + status));
    this.status = status;
    this.problem = problem || {};
  }
}

async function send(method, path, body, raw) {
  const headers = {};
  if (method !== 'GET' && method !== 'HEAD') headers['X-CSRF-Token'] = csrf;
  const opts = { method, headers, credentials: 'same-origin', cache: 'no-store', redirect: 'error' };
  if (body !== undefined) {
    headers['Content-Type'] = 'application/json';
    opts.body = JSON.stringify(body);
  }
  const r = await fetch('api' + path, opts);
  if (!r.ok) {
    let problem = null;
    try { problem = await r.json(); } catch { /* not JSON */ }
    const err = new APIError(r.status, problem);
    if (r.status === 401 && path !== '/signin') onSignedOut(err);
    throw err;
  }
  return raw ? r.blob() : r.json();
}

// api calls the console API (path below /console/api).
export function api(method, path, body) { return send(method, path, body, false); }

// admin calls an admin API route (e.g. '/keys?limit=50').
export function admin(method, route, body) { return send(method, '/admin' + route, body, false); }

// adminBlob fetches an admin API route that answers a file (QR codes).
export function adminBlob(route) { return send('GET', '/admin' + route, undefined, true); }
