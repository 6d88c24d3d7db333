"""lgn.torch.export against the libraries' own discretized predictions (eval mode), exactly.

torchlogix must be importable (``pip install --no-deps torchlogix==0.2.2`` and ``python/ci/patch_torchlogix.py``
on Python < 3.12). difflogic is installed from its sdist (path in ``LGN_DIFFLOGIC_SDIST``, fetched by
``.ci/run``) without its CUDA extension by ``python/ci/difflogic_sdist.py``; its ``implementation='python'``
layers need nothing else. ``LGN_REQUIRE_TORCH=1`` turns skips into failures.
"""

import os
import sys
from pathlib import Path

import numpy as np
import pytest

import lgn

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "ci"))
import difflogic_sdist  # noqa: E402

REQUIRED = os.environ.get("LGN_REQUIRE_TORCH") == "1"


def need(cond, why):
    if not cond:
        if REQUIRED:
            pytest.fail(why)
        pytest.skip(why)


try:
    import torch
except ImportError:  # pragma: no cover
    torch = None

if torch is not None:
    import lgn.torch as lt

N = 4096  # inputs per network


def library_predictions(model, bits):
    model.eval()
    with torch.no_grad():
        scores = model(torch.from_numpy(bits))
    return scores.argmax(-1).numpy(), scores.numpy()


def raw_inputs(rng, n, shape):
    """Raw values in [0, 1) and their bits under threshold 0.5 (what the library is fed)."""
    x = rng.uniform(0, 1, size=(n, *shape)).astype(np.float32)
    return x, (x > 0.5).astype(np.float32).reshape(n, -1)


# ---------------------------------------------------------------------------------------------------------------
# torchlogix


@pytest.fixture(scope="module")
def torchlogix():
    need(torch is not None, "torch is not installed")
    try:
        import torchlogix
    except (ImportError, SyntaxError) as e:
        need(False, f"torchlogix does not import: {e}")
    return torchlogix


@pytest.mark.parametrize("parametrization", ["raw", "warp"])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_torchlogix_dense_exports_exactly(torchlogix, tmp_path, parametrization, seed):
    from torchlogix.layers import GroupSum, LogicDense

    torch.manual_seed(seed)
    shape, classes, widths = (1, 8, 8), 10, [400, 300, 200]
    mods, prev = [torch.nn.Flatten()], 64
    for w in widths:
        mods.append(LogicDense(prev, w, device="cpu", parametrization=parametrization))
        prev = w
    mods.append(GroupSum(classes, tau=10.0))
    model = torch.nn.Sequential(*mods)
    with torch.no_grad():  # random weights, spread out so that every gate kind appears
        for m in model.modules():
            if isinstance(m, LogicDense):
                m.weight.normal_(0, 3)
    x, bits = raw_inputs(np.random.default_rng(seed), N, shape)
    expect, scores = library_predictions(model, bits)
    path = tmp_path / "tl.lgn"
    lt.export(model, path, input_shape=shape, thresholds=0.5)
    m = lgn.load(path)
    got = m.predict(x)
    assert (got != expect).sum() == 0, f"{(got != expect).sum()} of {N} predictions differ"
    np.testing.assert_allclose(m.scores(x) / 10.0, scores, atol=1e-5)


def test_torchlogix_trained_briefly(torchlogix):
    """A few Adam steps on a toy task, then export: eval-mode predictions still agree exactly."""
    from torchlogix.layers import GroupSum, LogicDense

    torch.manual_seed(3)
    model = torch.nn.Sequential(
        LogicDense(32, 256, device="cpu"), LogicDense(256, 128, device="cpu"), GroupSum(2, tau=4.0)
    )
    rng = np.random.default_rng(3)
    x, bits = raw_inputs(rng, N, (32,))
    y = torch.from_numpy((bits[:, 0] * bits[:, 1]).astype(np.int64))  # x0 AND x1
    opt = torch.optim.Adam(model.parameters(), lr=0.1)
    model.train()
    for _ in range(100):
        opt.zero_grad()
        torch.nn.functional.cross_entropy(model(torch.from_numpy(bits)), y).backward()
        opt.step()
    expect, _ = library_predictions(model, bits)
    got = lt.export(model, thresholds=0.5).predict(x)
    assert (got != expect).sum() == 0
    assert (got == y.numpy()).mean() > 0.9  # it learned something, so the gates are not all random


def torchlogix_conv_net(torchlogix, seed, pool_padding):
    """A small torchlogix convolutional network (trees of depth 3 and 2, padded convolution, OR pools, dense
    layers) with random weights, on 2-channel 10x10 images and 2 thresholds (4 map channels)."""
    from torchlogix.layers import GroupSum, LogicConv2d, LogicDense, OrPooling2d

    torch.manual_seed(seed)
    k1, k2 = 8, 12
    side = 1 + pool_padding  # 10 -> conv 10 -> pool 5 -> conv 3 -> pool 1 (2 when padded)
    model = torch.nn.Sequential(
        LogicConv2d(in_dim=10, channels=4, num_kernels=k1, tree_depth=3, receptive_field_size=3, padding=1),
        OrPooling2d(kernel_size=2, stride=2, padding=0),
        LogicConv2d(in_dim=5, channels=k1, num_kernels=k2, tree_depth=2, receptive_field_size=3, padding=0),
        OrPooling2d(kernel_size=2, stride=2, padding=pool_padding),
        torch.nn.Flatten(),
        LogicDense(k2 * side * side, 300, device="cpu"),
        LogicDense(300, 200, device="cpu"),
        GroupSum(4, tau=5.0),
    )
    with torch.no_grad():  # random weights, spread out so that every gate kind appears
        for p in model.parameters():
            p.normal_(0, 3)
    return model


@pytest.mark.parametrize("pool_padding", [0, 1])
@pytest.mark.parametrize("seed", [0, 1])
def test_torchlogix_conv_exports_exactly(torchlogix, tmp_path, seed, pool_padding):
    """LogicConv2d, OrPooling2d (also padded, as in torchlogix' CLGN models), Flatten and dense layers: the
    JIT's and the interpreter's predictions equal torchlogix' eval-mode ones on every input."""
    model = torchlogix_conv_net(torchlogix, seed, pool_padding)
    thresholds = [0.3, 0.7]
    rng = np.random.default_rng(seed)
    x = rng.uniform(0, 1, size=(N, 2, 10, 10)).astype(np.float32)
    # k thresholded copies along the channel axis: map channel j * 2 + ch is x[ch] > thresholds[j].
    bits = np.concatenate([x > t for t in thresholds], axis=1).astype(np.float32)
    expect, scores = library_predictions(model, bits)
    assert len(np.unique(expect)) > 1, "a network that predicts one class tests little"
    path = tmp_path / "conv.lgn"
    m = lt.export(model, path, thresholds=thresholds)
    assert m.input_shape == [2, 10, 10]
    kinds = [layer["kind"] for layer in m.info()["layers"]]
    assert kinds.count("tree_conv") == 2 and kinds.count("or_pool") == 2, kinds
    got = lgn.load(path).predict(x)
    assert (got != expect).sum() == 0, f"{(got != expect).sum()} of {N} predictions differ"
    np.testing.assert_allclose(lgn.load(path).scores(x) / 5.0, scores, atol=1e-5)
    np.testing.assert_array_equal(lgn.compile(path, engine="interp").predict(x), expect)


def test_torchlogix_conv_shape_errors(torchlogix):
    from torchlogix.layers import GroupSum, LogicConv2d, LogicDense

    conv = LogicConv2d(in_dim=6, channels=2, num_kernels=4, tree_depth=2, receptive_field_size=3)
    # The dense layer reads 100 bits, the convolution makes 4 x 4 x 4 = 64.
    model = torch.nn.Sequential(conv, torch.nn.Flatten(), LogicDense(100, 60, device="cpu"), GroupSum(2, 1.0))
    with pytest.raises(ValueError, match="reads 100 inputs but the previous layer has 64"):
        lt.export(model, thresholds=0.5)
    model = torch.nn.Sequential(conv, torch.nn.Flatten(), LogicDense(64, 40, device="cpu"), GroupSum(2, 1.0))
    with pytest.raises(ValueError, match="2 channels, not a multiple of 3 thresholds"):
        lt.export(model, thresholds=[0.2, 0.4, 0.6])  # 2 input channels are not 3 thresholded copies
    assert lt.export(model, thresholds=[0.3, 0.6]).input_shape == [1, 6, 6]


# ---------------------------------------------------------------------------------------------------------------
# difflogic


def _sdist():
    path = os.environ.get("LGN_DIFFLOGIC_SDIST", "")
    return path if path and os.path.exists(path) else None


@pytest.fixture(scope="module")
def difflogic(tmp_path_factory):
    need(torch is not None, "torch is not installed")
    sdist = _sdist()
    need(sdist is not None, "set LGN_DIFFLOGIC_SDIST to difflogic-0.1.0.tar.gz (see .ci/run)")
    return difflogic_sdist.install(sdist, tmp_path_factory.mktemp("difflogic"))


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_difflogic_exports_exactly(difflogic, tmp_path, seed):
    torch.manual_seed(seed)
    shape, classes, k = (1, 6, 6), 4, 2
    thresholds = [0.3, 0.7]
    layers = [difflogic.LogicLayer(36 * k, 300, device="cpu", implementation="python")]
    layers += [difflogic.LogicLayer(300, 300, device="cpu", implementation="python") for _ in range(2)]
    model = torch.nn.Sequential(torch.nn.Flatten(), *layers, difflogic.GroupSum(classes, tau=3.0, device="cpu"))
    rng = np.random.default_rng(seed)
    x = rng.uniform(0, 1, size=(N, *shape)).astype(np.float32)
    flat = x.reshape(N, -1)
    bits = np.concatenate([(flat > t) for t in thresholds], axis=1).astype(np.float32)  # difflogic's k copies
    expect, scores = library_predictions(model, bits)
    path = tmp_path / "dl.lgn"
    lt.export(model, path, input_shape=shape, thresholds=thresholds)
    m = lgn.load(path, engine="jit")
    got = m.predict(x)
    assert (got != expect).sum() == 0, f"{(got != expect).sum()} of {N} predictions differ"
    np.testing.assert_allclose(m.scores(x) / 3.0, scores, atol=1e-5)
    np.testing.assert_array_equal(lgn.compile(path, engine="interp").predict(x), expect)


def test_unsupported_modules_are_named():
    need(torch is not None, "torch is not installed")
    model = torch.nn.Sequential(torch.nn.Linear(4, 4))
    with pytest.raises(ValueError, match="Linear"):
        lt.export(model)
