// Try it: send a photo to the public detect API with an API key the
// operator types in (the call goes through facegate_guard like any
// client's), then draw every face's box and landmarks on the photo, with
// the attributes and SkyBiometry's JSON beside it.
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

function draw(canvas, bitmap, boxes) {
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
    ctx.fillText(String(i + 1), b.x + lw, b.y - lw * 2 > lw * 7 ? b.y - lw * 2 : b.y + lw * 8);
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

export async function render(box) {
  const canvas = h('canvas', { id: 'tryit-canvas', width: 640, height: 360 });
  const json = h('pre', { id: 'tryit-json' }, 'The answer appears here.');
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
    const data = new FormData();
    data.append('api_key', f.elements.api_key.value.trim());
    if (f.elements.api_secret.value) data.append('api_secret', f.elements.api_secret.value);
    f.elements.api_secret.value = '';
    data.append('attributes', 'all');
    data.append('files', file, file.name);
    const submit = f.elements[f.elements.length - 1];
    submit.disabled = true;
    delete canvas.dataset.boxes;
    canvas.dataset.state = 'busy';
    try {
      const [bitmap, resp] = await Promise.all([
        createImageBitmap(file),
        fetch('/fc/faces/detect.json', { method: 'POST', body: data, credentials: 'omit', cache: 'no-store' }),
      ]);
      const answer = await resp.json();
      json.textContent = JSON.stringify(answer, null, 2);
      if (answer.status !== 'success') {
        flash(`The API refused the call: ${answer.error_message || resp.status} (error ${answer.error_code})`, true);
        canvas.dataset.state = 'failed';
        return;
      }
      const photo = answer.photos[0];
      const tags = photo.tags || [];
      // Percentages are of the image as the API decoded it; draw on the same size.
      const boxes = boxesOf(tags, bitmap.width, bitmap.height);
      draw(canvas, bitmap, boxes);
      faces.replaceChildren(...tags.map((t, i) => h('tr', {},
        h('td', {}, h('span', { class: 'swatch c' + (i % 6) }), String(i + 1)),
        h('td', {}, `${t.width.toFixed(1)} × ${t.height.toFixed(1)} % at ${t.center.x.toFixed(1)}, ${t.center.y.toFixed(1)}`),
        h('td', {}, `yaw ${t.yaw}, roll ${t.roll}, pitch ${t.pitch}`),
        h('td', {}, attributeCell(t)))));
      flash(`${tags.length} face${tags.length === 1 ? '' : 's'} in a ${photo.width} × ${photo.height} photo.`);
      canvas.dataset.state = 'done';
    } catch (e) {
      flash('Try it failed: ' + e.message, true);
      canvas.dataset.state = 'failed';
    } finally {
      submit.disabled = false;
    }
  });
  box.append(f, h('div', { class: 'tryit' },
    h('div', { class: 'card' }, canvas, h('table', { class: 'faces' },
      h('thead', {}, h('tr', {}, ...['#', 'Box', 'Pose', 'Attributes'].map((t) => h('th', {}, t)))), faces)),
    h('div', { class: 'card' }, h('h2', {}, 'SkyBiometry JSON'), json)));
}
