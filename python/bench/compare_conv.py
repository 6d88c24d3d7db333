"""lgn next to torchlogix on the same convolutional network (its CLGN-MNIST model), in one run.

    python python/bench/compare_conv.py [--k 4] [--images 100000] [--no-circuit]

Builds torchlogix' ``ClgnMnist`` (tree convolutions 5x5 -> OR pool -> 3x3 -> padded OR pool -> 3x3 -> padded OR
pool, dense 81k -> 1280k -> 640k -> 320k, GroupSum; k = 4 is its ``ClgnMnistTiny``) with random weights,
exports it with ``lgn.torch``, and times on the same raw MNIST test images (repeated to --images):
  * ``lgn``: ``m.predict(uint8 images)``: thresholding, bit packing, the convolutions as loops, GroupSum and
    argmax, all cores and one;
  * torchlogix' own compiled path: ``Circuit.from_model`` (every convolution position unrolled into gates),
    ``simplify()``, ``compile(opt_level=1, pack_bits=64)`` (gcc, one thread), called on bool inputs (its
    packing is inside the C code);
  * PyTorch eval mode (``model(bits)``) on a 2,000-image slice.
Predictions are compared with lgn's; compile times are printed too.
"""

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import torch

import lgn
import lgn.torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from compare import best_of, mnist_test_images, time_lgn  # noqa: E402  (the dense comparison's helpers)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--k", type=int, default=4, help="ClgnMnist's k_num (4: Tiny, 16: Small)")
    ap.add_argument("--images", type=int, default=100_000)
    ap.add_argument("--threads", type=int, default=None, help="lgn threads (default: all cores)")
    ap.add_argument("--no-circuit", action="store_true", help="skip torchlogix' Circuit (gcc) path")
    args = ap.parse_args()

    from torchlogix.models.conv import ClgnMnist

    torch.manual_seed(0)
    model = ClgnMnist(thresholds=torch.tensor([0.5]), binarization="dummy", binarization_kwargs={}, k_num=args.k)
    with torch.no_grad():  # random gates, spread out so that every gate kind appears
        for p in model.parameters():
            p.normal_(0, 3)
    model.eval()

    base = mnist_test_images()
    reps = -(-args.images // len(base))
    images = np.concatenate([base] * reps)[: args.images]
    images = images[: len(images) // 64 * 64]  # torchlogix' packed C code takes whole words of 64
    bits = images > 127  # = (x / 255 > 0.5)

    rows = []
    t = time.perf_counter()
    m = lgn.torch.export(model, thresholds=127.5).compile(threads=args.threads)
    lgn_compile = time.perf_counter() - t
    lgn_pred = time_lgn(m, images, args.threads, lgn_compile, rows)
    info = m.info()

    mismatches = []
    if not args.no_circuit:
        from torchlogix.circuit import Circuit

        t = time.perf_counter()
        # Traced without the leading DummyBinarization, whose float output the export-mode gates (bool) refuse.
        circuit = Circuit.from_model(torch.nn.Sequential(*list(model)[1:]), [1, 28, 28])
        unrolled = len(circuit.gates)
        circuit.simplify()
        circuit.compile(opt_level=1, pack_bits=64)
        c_compile = time.perf_counter() - t
        flat = np.ascontiguousarray(bits.reshape(len(bits), -1))
        secs, counts = best_of(3, lambda: circuit(flat, use_compiled=True))
        c_pred = np.asarray(counts).argmax(-1)
        name = f"torchlogix Circuit (gcc -O1, 64 lanes, 1 thread; {unrolled:,} gates unrolled)"
        rows.append((name, c_compile, len(images) / secs))
        mismatches.append(f"torchlogix C {(c_pred != lgn_pred).sum()} of {len(images)}")
        from torchlogix.utils import set_export_mode

        set_export_mode(model, enabled=False)
        model.eval()

    n_torch = min(2_000, len(images))
    xb = torch.from_numpy(bits[:n_torch].astype(np.float32))
    with torch.no_grad():
        secs, scores = best_of(1, lambda: model(xb))
    torch_pred = scores.argmax(-1).numpy()
    rows.append((f"PyTorch eval mode ({torch.get_num_threads()} threads)", 0.0, n_torch / secs))
    mismatches.append(f"PyTorch {(torch_pred != lgn_pred[:n_torch]).sum()} of {n_torch}")

    print(f"network: torchlogix ClgnMnist k={args.k} (random weights), {info['gates']} gates in the model, "
          f"{info.get('compiled_gates')} after lgn -O2 (kernels counted once); {len(images)} MNIST test images")
    print(f"{'implementation':<78} {'compile s':>10} {'images/s':>14}")
    for name, c, ips in rows:
        print(f"{name:<78} {c:>10.2f} {ips:>14,.0f}")
    print("mismatches vs lgn: " + ", ".join(mismatches))


if __name__ == "__main__":
    main()
