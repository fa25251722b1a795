// Try it: send a photo to the public detect API with an API key the
// operator types in (the call goes through facegate_guard like any
// client's), then draw every face's box and landmarks on the photo, with
// the attributes and SkyBiometry's JSON beside it. Then save a face's tag
// under a uid, train the uid and recognize the photo against a namespace,
// with the same key (kept in this view's memory, never in the page, and
// forgotten when the view is left).
import { h, flash } from './dom.js';

const LANDMARKS = ['eye_left', 'eye_right', 'nose', 'mouth_center', 'mouth_left', 'mouth_right'];

// boxesOf converts SkyBiometry's percent coordinates to pixels of a
// width x height image: {x, y, w, h} of each tag's box, and its landmarks.
export function boxesOf(tags, width, height) {
  return tags.map((t) => ({
    x: (t.center.x - t.width / 2) * width / 100,
    y: (t.center.y - t.height / 2) * height / 100,
    w: t.width * width / 100,
    h: t.height * height / 100,
    points: LANDMARKS.filter((n) => t[n]).map((n) => ({ name: n, x: t[n].x * width / 100, y: t[n].y * height / 100 })),
  }));
}

function draw(canvas, bitmap, boxes, labels = []) {
  canvas.width = bitmap.width;
  canvas.height = bitmap.height;
  const ctx = canvas.getContext('2d');
  ctx.drawImage(bitmap, 0, 0);
  const colors = ['#22c55e', '#3b82f6', '#f59e0b', '#ec4899', '#14b8a6', '#a855f7'];
  const lw = Math.max(2, Math.round(Math.max(bitmap.width, bitmap.height) / 300));
  boxes.forEach((b, i) => {
    ctx.strokeStyle = colors[i % colors.length];
    ctx.fillStyle = colors[i % colors.length];
    ctx.lineWidth = lw;
    ctx.strokeRect(b.x, b.y, b.w, b.h);
    ctx.font = `${lw * 7}px system-ui, sans-serif`;
    const text = String(i + 1) + (labels[i] ? ' ' + labels[i] : '');
    const tx = Math.max(0, Math.min(b.x + lw, canvas.width - ctx.measureText(text).width - lw)); // inside the photo
    ctx.fillText(text, tx, b.y - lw * 2 > lw * 7 ? b.y - lw * 2 : b.y + lw * 8);
    for (const p of b.points) {
      ctx.beginPath();
      ctx.arc(p.x, p.y, lw * 1.5, 0, 2 * Math.PI);
      ctx.fill();
    }
  });
  // The drawn state, for the page's tests and for copying.
  canvas.dataset.boxes = JSON.stringify(boxes.map(({ x, y, w, h: hh, points }) => ({ x, y, w, h: hh, points })));
}

function attributeCell(t) {
  return Object.entries(t.attributes || {}).map(([k, v]) => `${k}: ${v.value}${v.confidence !== undefined ? ` (${v.confidence})` : ''}`).join(', ');
}

// matchesOf lists each face's best candidate of a recognize answer and
// whether it reaches the tag's threshold.
export function matchesOf(tags) {
  return tags.map((t, i) => {
    const best = (t.uids || [])[0];
    if (!best) return { face: i, uid: '', confidence: 0, matched: false };
    return { face: i, uid: best.uid, confidence: best.confidence, matched: best.confidence >= (t.threshold || 0) };
  });
}

export async function render(box) {
  const canvas = h('canvas', { id: 'tryit-canvas', width: 640, height: 360 });
  const json = h('pre', { id: 'tryit-json' }, 'The answer appears here.');
  const jsonTitle = h('h2', { id: 'tryit-json-title' }, 'SkyBiometry JSON');
  // The key of the last detect, for the calls that follow it; it lives in
  // this closure only and goes when the view is left.
  let creds = null;
  let last = null; // { file, bitmap } of the last detect

  // call sends one public API call with the key, showing its JSON.
  async function call(method, params, file) {
    const data = new FormData();
    data.append('api_key', creds.api_key);
    if (creds.api_secret) data.append('api_secret', creds.api_secret);
    for (const [k, v] of Object.entries(params)) data.append(k, v);
    if (file) data.append('files', file, file.name);
    const resp = await fetch(`/fc/${method}.json`, { method: 'POST', body: data, credentials: 'omit', cache: 'no-store' });
    const answer = await resp.json();
    jsonTitle.textContent = 'SkyBiometry JSON: ' + method;
    json.textContent = JSON.stringify(answer, null, 2);
    if (answer.status !== 'success') {
      throw new Error(`${method}: ${answer.error_message || resp.status} (error ${answer.error_code})`);
    }
    return answer;
  }

  const next = h('form', { class: 'card', id: 'tryit-next', hidden: true });
  const faceSelect = h('select', { name: 'face', id: 'tryit-face' });
  next.append(h('h2', {}, 'Tag, train, recognize'),
    h('p', { class: 'muted' }, 'Save the chosen face under a uid (name@namespace: tags/save), train the uid (faces/train), ',
      'then recognize the faces of this photo against every trained uid of a namespace (faces/recognize), with the key above.'),
    h('div', { class: 'row' },
      h('label', {}, 'Face', faceSelect),
      h('label', {}, 'uid', h('input', { name: 'uid', id: 'tryit-uid', placeholder: 'name@namespace', autocomplete: 'off', spellcheck: 'false' })),
      h('label', {}, 'Namespace', h('input', { name: 'namespace', id: 'tryit-namespace', placeholder: 'namespace', autocomplete: 'off', spellcheck: 'false' }))),
    h('div', { class: 'row' },
      h('button', { type: 'button', id: 'tryit-save' }, 'Save tag'),
      h('button', { type: 'button', id: 'tryit-train' }, 'Train uid'),
      h('button', { type: 'button', id: 'tryit-recognize' }, 'Recognize in namespace')));
  next.elements.uid.addEventListener('input', () => {
    const ns = next.elements.uid.value.split('@')[1];
    if (ns) next.elements.namespace.value = ns.trim();
  });
  async function step(button, state, action) {
    button.disabled = true;
    next.dataset.state = 'busy';
    try {
      await action();
      next.dataset.state = state;
    } catch (e) {
      flash(e.message, true);
      next.dataset.state = 'failed';
    } finally {
      button.disabled = false;
    }
  }
  const uidOf = () => next.elements.uid.value.trim();
  next.querySelector('#tryit-save').addEventListener('click', (ev) => step(ev.target, 'saved', async () => {
    const a = await call('tags/save', { uid: uidOf(), tids: faceSelect.value });
    flash(`Saved ${a.saved_tags.length} tag under ${uidOf()}.`);
  }));
  next.querySelector('#tryit-train').addEventListener('click', (ev) => step(ev.target, 'trained', async () => {
    const a = await call('faces/train', { uids: uidOf() });
    const n = (a.created || []).length + (a.updated || []).length + (a.unchanged || []).length;
    flash(`Trained: ${n} uid${n === 1 ? '' : 's'} ready (${(a.no_training_set || []).length} without a training set).`);
  }));
  next.querySelector('#tryit-recognize').addEventListener('click', (ev) => step(ev.target, 'recognized', async () => {
    const ns = next.elements.namespace.value.trim();
    const a = await call('faces/recognize', { uids: 'all', namespace: ns, attributes: 'none' }, last.file);
    const tags = a.photos[0].tags || [];
    const matches = matchesOf(tags);
    draw(canvas, last.bitmap, boxesOf(tags, last.bitmap.width, last.bitmap.height),
      matches.map((m) => (m.matched ? `${m.uid} ${m.confidence}` : '')));
    next.dataset.matches = JSON.stringify(matches);
    for (const [i, m] of matches.entries()) {
      const cell = faces.querySelector(`tr[data-face="${i}"] td.match`);
      if (!cell) continue;
      if (m.matched) cell.textContent = `${m.uid} (${m.confidence})`;
      else cell.textContent = m.uid ? `no match (best: ${m.uid}, ${m.confidence})` : 'no match';
    }
    const found = matches.filter((m) => m.matched).length;
    flash(`${found} of ${tags.length} face${tags.length === 1 ? '' : 's'} recognized in ${ns}.`);
  }));
  const faces = h('tbody', { id: 'tryit-faces' });
  const f = h('form', { class: 'card', id: 'tryit-form' },
    h('h2', {}, 'Try it: detect faces'),
    h('p', { class: 'muted' }, 'The photo goes to /fc/faces/detect.json with the key below, through the API gateway like any client\'s call: ',
      'the key needs the faces/detect scope. Give a secret-mode key\'s secret, or leave the secret empty for a domain key that allows this origin (',
      location.origin, '). The secret is cleared from the form as soon as the call is sent.'),
    h('div', { class: 'row' },
      h('label', {}, 'API key', h('input', { name: 'api_key', required: true, autocomplete: 'off', spellcheck: 'false' })),
      h('label', {}, 'API secret', h('input', { name: 'api_secret', type: 'password', autocomplete: 'off' })),
      h('label', {}, 'Photo', h('input', { name: 'photo', type: 'file', accept: 'image/jpeg,image/png,image/gif,image/webp,image/bmp', required: true }))),
    h('button', { type: 'submit', id: 'tryit-submit' }, 'Detect'));
  f.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const file = f.elements.photo.files[0];
    if (!file) return;
    creds = { api_key: f.elements.api_key.value.trim(), api_secret: f.elements.api_secret.value };
    f.elements.api_secret.value = '';
    const submit = f.elements[f.elements.length - 1];
    submit.disabled = true;
    delete canvas.dataset.boxes;
    canvas.dataset.state = 'busy';
    try {
      next.hidden = true;
      let answer;
      let bitmap;
      try {
        [bitmap, answer] = await Promise.all([createImageBitmap(file), call('faces/detect', { attributes: 'all' }, file)]);
      } catch (e) {
        flash('The API refused the call: ' + e.message, true);
        canvas.dataset.state = 'failed';
        return;
      }
      const photo = answer.photos[0];
      const tags = photo.tags || [];
      // Percentages are of the image as the API decoded it; draw on the same size.
      const boxes = boxesOf(tags, bitmap.width, bitmap.height);
      draw(canvas, bitmap, boxes);
      last = { file, bitmap };
      faceSelect.replaceChildren(...tags.map((t, i) => h('option', { value: t.tid }, `face ${i + 1}`)));
      next.hidden = tags.length === 0;
      delete next.dataset.state;
      delete next.dataset.matches;
      faces.replaceChildren(...tags.map((t, i) => h('tr', { 'data-face': i },
        h('td', {}, h('span', { class: 'swatch c' + (i % 6) }), String(i + 1)),
        h('td', {}, `${t.width.toFixed(1)} × ${t.height.toFixed(1)} % at ${t.center.x.toFixed(1)}, ${t.center.y.toFixed(1)}`),
        h('td', {}, `yaw ${t.yaw}, roll ${t.roll}, pitch ${t.pitch}`),
        h('td', {}, attributeCell(t)),
        h('td', { class: 'match' }, ''))));
      flash(`${tags.length} face${tags.length === 1 ? '' : 's'} in a ${photo.width} × ${photo.height} photo.`);
      canvas.dataset.state = 'done';
    } catch (e) {
      flash('Try it failed: ' + e.message, true);
      canvas.dataset.state = 'failed';
    } finally {
      submit.disabled = false;
    }
  });
  box.append(f, next, h('div', { class: 'tryit' },
    h('div', { class: 'card' }, canvas, h('table', { class: 'faces' },
      h('thead', {}, h('tr', {}, ...['#', 'Box', 'Pose', 'Attributes', 'Match'].map((t) => h('th', {}, t)))), faces)),
    h('div', { class: 'card' }, jsonTitle, json)));
}
