// SSD MobileNet v1 golden outputs on real photos (node golden.js --ssd [--data DIR]).
//
// The photos stay in the shared data folder; only boxes and scores are committed. To feed
// the reference the very pixels the Go test sees, the photos are decoded by the engine's
// own decoder (`go run ./tests/golden/rgb`, engine/imageio) and passed in as tensors; the
// sha256 of those pixels is recorded so the Go test can check its decode matches.
'use strict';
const fs = require('fs');
const os = require('os');
const path = require('path');
const { execFileSync } = require('child_process');

// Photos relative to the data folder: the four detection-set photos (non-square, 360..500
// px, padded to a square) and WIDER crowd photos (416×416, upsampled to 512).
const photos = [
  'detection/images/2007_007763.jpg',
  'detection/images/2008_001009.jpg',
  'detection/images/2008_001322.jpg',
  'detection/images/2008_002079.jpg',
  'detection-wider/images/2_Demonstration_Demonstrators_2_378.jpg',
  'detection-wider/images/2_Demonstration_Demonstration_Or_Protest_2_58.jpg',
  'detection-wider/images/4_Dancing_Dancing_4_240.jpg',
  'detection-wider/images/0_Parade_Parade_0_125.jpg',
];

// Low enough to keep many boxes per photo, so decoding and NMS are exercised widely.
const minConfidence = 0.2;
const maxResults = 100;

async function golden({ faceapi, tf, root, loadNet, backend, data }) {
  const net = faceapi.nets.ssdMobilenetv1;
  loadNet(net, 'ssd_mobilenetv1_model');
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ssd-golden-'));
  try {
    const lines = execFileSync('go', ['run', './tests/golden/rgb', '-out', tmp, ...photos.map((p) => path.join(data, p))],
      { cwd: root, encoding: 'utf8', maxBuffer: 1 << 20 }).trim().split('\n').map((l) => JSON.parse(l));
    const out = { generator: 'tests/golden/golden.js --ssd', faceapi: '1.7.15', tfjs: tf.version.tfjs, backend, min_confidence: minConfidence, max_results: maxResults, cases: [] };
    for (let i = 0; i < photos.length; i++) {
      const d = lines[i];
      const px = fs.readFileSync(d.rgb);
      const img = tf.tensor3d(Float32Array.from(px), [d.height, d.width, 3]);
      const dets = await net.locateFaces(img, { minConfidence, maxResults });
      img.dispose();
      out.cases.push({
        photo: photos[i], width: d.width, height: d.height, rgb_sha256: d.sha256,
        detections: dets.map((x) => ({ x: x.box.x, y: x.box.y, w: x.box.width, h: x.box.height, score: x.score })),
      });
      console.error(`${photos[i]}: ${dets.length} boxes`);
    }
    const dir = path.join(root, 'engine', 'ssd', 'testdata');
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(path.join(dir, 'golden.json'), JSON.stringify(out, null, 1) + '\n');
    console.log(`wrote ${photos.length} cases to ${dir}`);
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

module.exports = { golden };
