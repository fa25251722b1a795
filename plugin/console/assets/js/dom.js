// Small DOM helpers: every text goes through textContent, never HTML.

// h creates an element with attributes (class, on<event>, data-*, booleans)
// and children (nodes or strings).
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === false || v === null || v === undefined) continue;
    if (k === 'class') el.className = v;
    else if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
    else if (v === true) el.setAttribute(k, '');
    else el.setAttribute(k, String(v));
  }
  for (const c of children.flat()) {
    if (c === null || c === undefined || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return el;
}

// when formats unix seconds as a local date and time ("" for 0).
export function when(unix) {
  if (!unix) return '';
  return new Date(unix * 1000).toLocaleString();
}

// list splits a comma-separated input into trimmed, non-empty items.
export function list(text) {
  return String(text || '').split(',').map((s) => s.trim()).filter(Boolean);
}

// flash shows a short message above the page.
export function flash(text, bad = false) {
  const el = document.getElementById('flash');
  el.textContent = text;
  el.classList.toggle('bad', bad);
  el.hidden = !text;
}

// confirmButton is a button that acts on the second click (no dialogs).
export function confirmButton(label, armedLabel, action, cls = 'danger small') {
  const b = h('button', { type: 'button', class: cls });
  b.textContent = label;
  b.addEventListener('click', async () => {
    if (!b.classList.contains('armed')) {
      b.classList.add('armed');
      b.textContent = armedLabel;
      setTimeout(() => { b.classList.remove('armed'); b.textContent = label; }, 4000);
      return;
    }
    b.disabled = true;
    try { await action(); } finally { b.disabled = false; }
  });
  return b;
}

// secretPanel shows secrets once with copy buttons; "Done" removes the
// panel and the secrets with it from the page.
export function secretPanel(title, items, note, extra) {
  const panel = h('div', { class: 'card secret', id: 'secret-panel' }, h('h2', {}, title),
    h('p', { class: 'muted' }, note));
  for (const [label, value, id] of items) {
    const code = h('code', { id }, value);
    const copy = h('button', { type: 'button', class: 'secondary small', 'data-copy': id }, 'Copy');
    copy.addEventListener('click', async () => {
      try { await navigator.clipboard.writeText(code.textContent); copy.textContent = 'Copied'; } catch { copy.textContent = 'Copy failed: select the text'; }
    });
    panel.append(h('div', {}, h('strong', {}, label), ' ', copy, code));
  }
  if (extra) panel.append(extra);
  const done = h('button', { type: 'button', id: 'secret-done' }, 'I have saved it: remove it from the page');
  done.addEventListener('click', () => panel.remove());
  panel.append(done);
  return panel;
}
