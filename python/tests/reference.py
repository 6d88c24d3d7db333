"""A plain numpy evaluator of dense networks: the oracle the bindings are checked against."""

import numpy as np


def gate(ids, a, b):
    """Gate ``ids[i]`` (difflogic numbering: truth table, MSB = output at a=0, b=0) on bool arrays."""
    # Output bit for inputs (a, b) is bit (3 - 2a - b) of the id.
    shift = 3 - 2 * a.astype(np.int64) - b.astype(np.int64)
    return ((ids[None, :].astype(np.int64) >> shift) & 1).astype(bool)


def evaluate(x, thresholds, layers, classes, comparison="gt"):
    """Counts ``(n, classes)`` and predictions of a dense network on raw inputs ``x`` ``(n, features)``."""
    x = np.asarray(x, dtype=np.float32).reshape(len(x), -1)
    t = np.asarray(thresholds, dtype=np.float32)
    if t.ndim == 1:
        t = np.broadcast_to(t, (x.shape[1], t.shape[0]))
    cmp = np.greater if comparison == "gt" else np.greater_equal
    # Bit j * features + f = cmp(x[f], t[f, j]): the k copies concatenated.
    h = np.concatenate([cmp(x, t[:, j][None, :]) for j in range(t.shape[1])], axis=1)
    for ids, a, b in layers:
        h = gate(ids, h[:, a], h[:, b])
    counts = h.reshape(len(x), classes, -1).sum(-1)
    return counts, counts.argmax(-1)


def random_layers(rng, inputs, widths):
    layers, prev = [], inputs
    for w in widths:
        ids = rng.integers(0, 16, size=w, dtype=np.uint8)
        a = rng.integers(0, prev, size=w, dtype=np.int64)
        b = rng.integers(0, prev, size=w, dtype=np.int64)
        layers.append((ids, a, b))
        prev = w
    return layers
