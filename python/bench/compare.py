"""lgn from Python next to difflogic on the same network, in one run: images/second on MNIST images.

    python python/bench/compare.py --sdist difflogic-0.1.0.tar.gz [--layers 6 --width 8000] [--images 100000]

Builds a difflogic network (random weights, ``implementation='python'``), exports it with ``lgn.torch``, and
times on the same raw MNIST test images (repeated to --images):
  * ``lgn``: ``m.predict(uint8 images)``: thresholding, bit packing, gates, GroupSum and argmax, all cores;
  * difflogic's ``CompiledLogicNet`` (its C export built by gcc, 64-bit words, one thread): ``forward`` on the
    already-binarized bool inputs (its packing is inside the C code), then argmax;
  * PyTorch eval mode (``model(bits)``), on a 10,000-image slice.
Predictions of all three are compared; compile times are printed too.
"""

import argparse
import gzip
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import torch

import lgn
import lgn.torch

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "ci"))
import difflogic_sdist  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]


def mnist_test_images():
    with gzip.open(ROOT / "data/mnist10k/t10k-images-idx3-ubyte.gz") as f:
        raw = f.read()
    n = int.from_bytes(raw[4:8], "big")
    return np.frombuffer(raw, dtype=np.uint8, offset=16).reshape(n, 1, 28, 28)


def best_of(repeat, fn):
    best = float("inf")
    for _ in range(repeat):
        t = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t)
    return best, out


def time_lgn(m, images, threads, compile_seconds, rows):
    """Times ``m.predict`` on ``images`` on ``threads`` (None: all cores) and on one thread, appending a row for
    each to ``rows``; returns the predictions (checked equal on both)."""
    m.predict(images[:1000])
    secs, pred = best_of(3, lambda: m.predict(images))
    name = f"lgn (Python, m.predict on uint8, {threads or 'all'} threads)"
    rows.append((name, compile_seconds, len(images) / secs))
    m1 = m.compile(threads=1)
    secs, pred1 = best_of(3, lambda: m1.predict(images))
    assert (pred1 == pred).all()
    rows.append(("lgn (Python, m.predict on uint8, 1 thread)", compile_seconds, len(images) / secs))
    return pred


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sdist", default=os.environ.get("LGN_DIFFLOGIC_SDIST"), help="difflogic-0.1.0.tar.gz")
    ap.add_argument("--layers", type=int, default=6)
    ap.add_argument("--width", type=int, default=8000)
    ap.add_argument("--images", type=int, default=100_000)
    ap.add_argument("--gcc-opt", type=int, default=1, help="difflogic's compile(opt_level=...) (its default: 1)")
    ap.add_argument("--threads", type=int, default=None, help="lgn threads (default: all cores)")
    args = ap.parse_args()
    if not args.sdist:
        ap.error("--sdist (or LGN_DIFFLOGIC_SDIST) is required")

    work = tempfile.mkdtemp(prefix="lgn-bench-")
    difflogic = difflogic_sdist.install(args.sdist, work)
    from difflogic import CompiledLogicNet, GroupSum, LogicLayer

    torch.manual_seed(0)
    dims = [784] + [args.width] * args.layers
    layers = [LogicLayer(a, b, device="cpu", implementation="python") for a, b in zip(dims, dims[1:])]
    model = torch.nn.Sequential(torch.nn.Flatten(), *layers, GroupSum(10, tau=10.0, device="cpu")).eval()

    base = mnist_test_images()
    reps = -(-args.images // len(base))
    images = np.concatenate([base] * reps)[: args.images]
    bits = (images.reshape(len(images), -1) > 127)  # = (x / 255 > 0.5), difflogic's MNIST binarization

    rows = []
    path = Path(work) / "net.lgn"
    t = time.perf_counter()
    lgn.torch.export(model, path, input_shape=(1, 28, 28), thresholds=127.5)
    m = lgn.load(path, threads=args.threads)
    lgn_compile = time.perf_counter() - t
    lgn_pred = time_lgn(m, images, args.threads, lgn_compile, rows)
    info = m.info()

    t = time.perf_counter()
    compiled = CompiledLogicNet(model, num_bits=64, cpu_compiler="gcc")
    compiled.compile(opt_level=args.gcc_opt, save_lib_path=str(Path(work) / "difflogic.so"))
    dl_compile = time.perf_counter() - t
    secs, counts = best_of(3, lambda: compiled.forward(bits))
    dl_pred = counts.argmax(-1).numpy()
    rows.append((f"difflogic CompiledLogicNet (gcc -O{args.gcc_opt}, 1 thread)", dl_compile, len(images) / secs))

    n_torch = min(10_000, len(images))
    xb = torch.from_numpy(bits[:n_torch].astype(np.float32))
    with torch.no_grad():
        secs, scores = best_of(1, lambda: model(xb))
    torch_pred = scores.argmax(-1).numpy()
    rows.append((f"PyTorch eval mode ({torch.get_num_threads()} threads)", 0.0, n_torch / secs))

    print(f"network: {args.layers} x {args.width} (difflogic, random weights), {info['gates']} gates, "
          f"{info.get('compiled_gates')} after lgn -O2; {len(images)} MNIST test images")
    print(f"{'implementation':<52} {'compile s':>10} {'images/s':>14}")
    for name, c, ips in rows:
        print(f"{name:<52} {c:>10.2f} {ips:>14,.0f}")
    print(f"mismatches vs lgn: difflogic C {(dl_pred != lgn_pred).sum()} of {len(images)}, "
          f"PyTorch {(torch_pred != lgn_pred[:n_torch]).sum()} of {n_torch}")


if __name__ == "__main__":
    main()
