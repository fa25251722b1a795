#!/usr/bin/python3
"""OpenCV baseline for `go run ./tests/bench detect` (run with Debian's /usr/bin/python3).

Reads a JSON request on stdin: {"detectors": [...], "accuracy": [paths], "speed": [paths],
"reps": n, "procs": n}. For each detector (haar = frontalface_default, lbp =
lbpcascade_frontalface_improved; scale 1.1, minNeighbors 3, minSize 20) it writes to stdout
the boxes found in every accuracy image and, on the speed images (decoded from bytes,
like the Go side), per-image latencies and images per CPU-second on one thread plus the
throughput of `procs`
single-threaded worker processes. Install: apt-get install -y python3-opencv opencv-data
"""
import json
import multiprocessing as mp
import sys
import time

import cv2
import numpy as np

CASCADES = {
    "haar": "/usr/share/opencv4/haarcascades/haarcascade_frontalface_default.xml",
    "lbp": "/usr/share/opencv4/lbpcascades/lbpcascade_frontalface_improved.xml",
}
_clf = None


def detect(clf, data):
    img = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_GRAYSCALE)
    return clf.detectMultiScale(img, scaleFactor=1.1, minNeighbors=3, minSize=(20, 20))


def _init(name):
    global _clf
    cv2.setNumThreads(1)
    _clf = cv2.CascadeClassifier(CASCADES[name])


def _work(data):
    detect(_clf, data)
    return 1


def main():
    req = json.load(sys.stdin)
    cv2.setNumThreads(1)
    out = {"version": cv2.__version__}
    blobs = [open(p, "rb").read() for p in req["speed"]]
    for name in req["detectors"]:
        clf = cv2.CascadeClassifier(CASCADES[name])
        if clf.empty():
            raise SystemExit("cannot load " + CASCADES[name])
        boxes = {}
        for p in req["accuracy"]:
            with open(p, "rb") as f:
                boxes[p] = [list(map(int, b)) for b in detect(clf, f.read())]
        lat = []
        c0 = time.process_time()
        t0 = time.perf_counter()
        for _ in range(req["reps"]):
            for b in blobs:
                s = time.perf_counter()
                detect(clf, b)
                lat.append(time.perf_counter() - s)
        one = len(lat) / (time.perf_counter() - t0)
        cpu = len(lat) / (time.process_time() - c0)
        work = blobs * req["reps"] * max(1, req["procs"])
        with mp.Pool(req["procs"], initializer=_init, initargs=(name,)) as pool:
            pool.map(_work, blobs[:req["procs"]])  # warm up the workers
            t0 = time.perf_counter()
            n = sum(pool.map(_work, work, chunksize=1))
            allc = n / (time.perf_counter() - t0)
        out[name] = {"boxes": boxes, "latencies_s": lat, "ips_one": one, "ips_all": allc, "ips_cpu": cpu}
    json.dump(out, sys.stdout)


if __name__ == "__main__":
    main()
