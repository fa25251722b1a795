// Generates the golden outputs of @vladmandic/face-api@1.7.15 for engine/faceapi's tests,
// or times the reference descriptor.
//
//   cd tests/golden && npm ci && node golden.js            # writes ../../engine/faceapi/testdata/
//   node golden.js --ssd                                    # writes ../../engine/internal/ssd/testdata/golden.json
//   node golden.js --timing --backend wasm --n 20           # prints {"backend":..,"ms_per_face":..,"cpu_ms_per_face":..}
//
// Inputs are synthetic (integer formulas, no photos) and are written next to the JSON as raw
// RGB bytes (<name>.rgb, row-major, 3 bytes per pixel) so the Go tests read the very same
// pixels. Weights come from engine/models/faceapi, decoded with tf.io.decodeWeights and
// passed to loadFromWeightMap; inputs are tensors, so no canvas is involved.
'use strict';
const fs = require('fs');
const path = require('path');
const faceapi = require('@vladmandic/face-api/dist/face-api.node-wasm.js');

const tf = faceapi.tf;
const root = path.resolve(__dirname, '..', '..');
const modelDir = path.join(root, 'engine', 'models', 'faceapi');
const outDir = path.join(root, 'engine', 'faceapi', 'testdata');

function arg(name, def) {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : def;
}

function loadNet(net, name) {
  const manifest = JSON.parse(fs.readFileSync(path.join(modelDir, `${name}-weights_manifest.json`)));
  const bin = fs.readFileSync(path.join(modelDir, `${name}.bin`));
  const buf = bin.buffer.slice(bin.byteOffset, bin.byteOffset + bin.byteLength);
  const map = tf.io.decodeWeights(buf, manifest[0].weights);
  net.loadFromWeightMap(map);
}

// synth makes a deterministic w×h RGB image: smooth ellipses and gradients plus integer
// xorshift noise, values 0..255.
function synth(w, h, seed) {
  const px = new Uint8Array(w * h * 3);
  let s = (seed * 2654435761) >>> 0 || 1;
  const rnd = () => { s ^= s << 13; s >>>= 0; s ^= s >>> 17; s ^= s << 5; s >>>= 0; return s; };
  const blobs = [];
  for (let i = 0; i < 5; i++) blobs.push([rnd() % w, rnd() % h, 8 + (rnd() % (w / 2)), rnd() % 256, rnd() % 256, rnd() % 256]);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      for (let c = 0; c < 3; c++) {
        let v = Math.floor(((x * (c + 1) * 97) / w + (y * (3 - c) * 61) / h)) % 256;
        for (const [bx, by, r, cr, cg, cb] of blobs) {
          const d2 = (x - bx) * (x - bx) + (y - by) * (y - by);
          if (d2 < r * r) v = (v + [cr, cg, cb][c]) >> 1;
        }
        v += (rnd() % 33) - 16;
        px[(y * w + x) * 3 + c] = Math.max(0, Math.min(255, v));
      }
    }
  }
  return px;
}

async function main() {
  const backend = arg('--backend', 'cpu');
  await tf.setBackend(backend);
  await tf.ready();
  const nets = faceapi.nets;
  if (process.argv.includes('--ssd')) {
    await require('./ssd.js').golden({ faceapi, tf, root, loadNet, backend, data: arg('--data', path.join(root, '..', 'shared', 'data', 'faces')) });
    return;
  }
  loadNet(nets.faceRecognitionNet, 'face_recognition_model');
  if (process.argv.includes('--timing')) {
    const n = Number(arg('--n', '20'));
    const img = tf.tensor3d(Float32Array.from(synth(150, 150, 1)), [150, 150, 3]);
    for (let i = 0; i < 3; i++) await nets.faceRecognitionNet.computeFaceDescriptor(img);
    const t0 = process.hrtime.bigint();
    const c0 = process.cpuUsage();
    for (let i = 0; i < n; i++) await nets.faceRecognitionNet.computeFaceDescriptor(img);
    const c1 = process.cpuUsage(c0);
    const ms = Number(process.hrtime.bigint() - t0) / 1e6 / n;
    const cpuMS = (c1.user + c1.system) / 1000 / n;
    console.log(JSON.stringify({ backend, ms_per_face: ms, cpu_ms_per_face: cpuMS, n }));
    return;
  }
  loadNet(nets.faceLandmark68Net, 'face_landmark_68_model');
  loadNet(nets.ageGenderNet, 'age_gender_model');
  loadNet(nets.faceExpressionNet, 'face_expression_model');
  const cases = [
    { name: 'chip150', w: 150, h: 150, seed: 1 },
    { name: 'crop97x120', w: 97, h: 120, seed: 2 },
    { name: 'face112', w: 112, h: 112, seed: 3 },
    { name: 'crop90x60', w: 90, h: 60, seed: 4 },
  ];
  fs.mkdirSync(outDir, { recursive: true });
  const out = { generator: 'tests/golden/golden.js', faceapi: '1.7.15', tfjs: tf.version.tfjs, backend, cases: [] };
  for (const c of cases) {
    const px = synth(c.w, c.h, c.seed);
    fs.writeFileSync(path.join(outDir, `${c.name}.rgb`), px);
    const img = tf.tensor3d(Float32Array.from(px), [c.h, c.w, 3]);
    const desc = await nets.faceRecognitionNet.computeFaceDescriptor(img);
    const lm = await nets.faceLandmark68Net.detectLandmarks(img);
    const ag = await nets.ageGenderNet.predictAgeAndGender(img);
    const ex = await nets.faceExpressionNet.predictExpressions(img);
    out.cases.push({
      name: c.name, file: `${c.name}.rgb`, width: c.w, height: c.h,
      descriptor: Array.from(desc),
      landmarks: lm.positions.map((p) => [p.x, p.y]),
      age: ag.age,
      male_probability: ag.gender === 'male' ? ag.genderProbability : 1 - ag.genderProbability,
      expressions: ['neutral', 'happy', 'sad', 'angry', 'fearful', 'disgusted', 'surprised'].map((k) => ex[k]),
    });
    img.dispose();
  }
  fs.writeFileSync(path.join(outDir, 'golden.json'), JSON.stringify(out, null, 1) + '\n');
  console.log(`wrote ${cases.length} cases to ${outDir}`);
}

main().catch((e) => { console.error(e); process.exit(1); });
