// face-api's SSD MobileNet v1 as the reference detector for `go run ./tests/bench detect`:
// reads a JSON request on stdin {images: [{rgb, width, height}], min_confidence: [..],
// backend}, runs locateFaces on each image (tensor input, one wasm thread) and prints
// {threads, results: [{min_confidence, boxes: [[[x, y, w, h, score], ...] per image],
// ms_wall, ms_cpu}]} with times per image. The images are raw RGB written by the bench
// from the engine's own decode, so both sides see the same pixels.
'use strict';
const fs = require('fs');
const path = require('path');
const wasm = require('@tensorflow/tfjs-backend-wasm');
const faceapi = require('@vladmandic/face-api/dist/face-api.node-wasm.js');

const tf = faceapi.tf;
const modelDir = path.resolve(__dirname, '..', '..', 'engine', 'models', 'faceapi');

async function main() {
  const req = JSON.parse(fs.readFileSync(0, 'utf8'));
  wasm.setThreadsCount(1);
  await tf.setBackend(req.backend || 'wasm');
  await tf.ready();
  const net = faceapi.nets.ssdMobilenetv1;
  const manifest = JSON.parse(fs.readFileSync(path.join(modelDir, 'ssd_mobilenetv1_model-weights_manifest.json')));
  const bin = fs.readFileSync(path.join(modelDir, 'ssd_mobilenetv1_model.bin'));
  net.loadFromWeightMap(tf.io.decodeWeights(bin.buffer.slice(bin.byteOffset, bin.byteOffset + bin.byteLength), manifest[0].weights));
  const tensors = req.images.map((im) => tf.tensor3d(Float32Array.from(fs.readFileSync(im.rgb)), [im.height, im.width, 3]));
  await net.locateFaces(tensors[0], { minConfidence: 0.5 }); // warm-up
  const out = { backend: tf.getBackend(), threads: wasm.getThreadsCount(), results: [] };
  for (const minConfidence of req.min_confidence) {
    const boxes = [];
    const c0 = process.cpuUsage();
    const t0 = process.hrtime.bigint();
    for (const t of tensors) {
      const dets = await net.locateFaces(t, { minConfidence, maxResults: 100 });
      boxes.push(dets.map((d) => [d.box.x, d.box.y, d.box.width, d.box.height, d.score]));
    }
    const wall = Number(process.hrtime.bigint() - t0) / 1e6;
    const c = process.cpuUsage(c0);
    out.results.push({ min_confidence: minConfidence, boxes, ms_wall: wall / tensors.length, ms_cpu: (c.user + c.system) / 1000 / tensors.length });
  }
  console.log(JSON.stringify(out));
}

main().catch((e) => { console.error(e); process.exit(1); });
