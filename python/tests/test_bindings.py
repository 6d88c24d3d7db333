"""The compiled bindings against the numpy reference, and their errors."""

import threading

import numpy as np
import pytest

import lgn
from reference import evaluate, random_layers


def build(seed, shape=(1, 6, 6), k=2, widths=(64, 48, 40), classes=4, shared=True, comparison="gt"):
    rng = np.random.default_rng(seed)
    features = int(np.prod(shape))
    t = rng.uniform(0.1, 0.9, size=(k,) if shared else (features, k)).astype(np.float32)
    layers = random_layers(rng, features * k, widths)
    m = lgn.dense_model(list(shape), t, layers, classes, 2.0, comparison)
    return m, t, layers, classes


@pytest.mark.parametrize("seed", range(12))
@pytest.mark.parametrize("engine", ["jit", "interp"])
def test_random_networks_match_reference(seed, engine):
    shared, comparison = seed % 2 == 0, ["gt", "ge"][seed % 3 == 0]
    m, t, layers, classes = build(seed, shared=shared, comparison=comparison)
    m = m.compile(engine=engine, threads=1 + seed % 2)
    rng = np.random.default_rng(1000 + seed)
    n = 257 + 31 * seed  # odd sizes: partial blocks
    x = rng.uniform(0, 1, size=(n, 1, 6, 6)).astype(np.float32)
    x[:, 0, 0, :3] = t.reshape(-1)[0]  # values equal to a threshold: gt vs ge matters
    counts, pred = evaluate(x, t, layers, classes, comparison)
    np.testing.assert_array_equal(m.scores(x), counts)
    np.testing.assert_array_equal(m.predict(x), pred)


def test_u8_inputs_and_layouts():
    rng = np.random.default_rng(7)
    shape = (1, 8, 8)
    t = np.array([40.5, 127.0, 200.0], dtype=np.float32)
    layers = random_layers(rng, 64 * 3, (200, 100))
    m = lgn.dense_model(list(shape), t, layers, 10, 10.0)
    x = rng.integers(0, 256, size=(1000, 1, 8, 8), dtype=np.uint8)
    _, expect = evaluate(x, t, layers, 10)
    np.testing.assert_array_equal(m.predict(x), expect)
    np.testing.assert_array_equal(m.predict(x.reshape(1000, 64)), expect)  # flat samples
    np.testing.assert_array_equal(m.predict(x.astype(np.float64)), expect)  # converted by numpy
    big = np.zeros((1000, 1, 8, 16), dtype=np.uint8)
    big[..., ::2] = x
    np.testing.assert_array_equal(m.predict(big[..., ::2]), expect)  # not contiguous
    np.testing.assert_array_equal(m.predict(x[3].reshape(-1)), expect[3:4])  # one sample
    assert m.predict(x[:0]).shape == (0,)


def test_save_load_round_trip(tmp_path):
    m, t, layers, classes = build(3)
    path = tmp_path / "net.lgn"
    m.save(str(path))
    loaded = lgn.load(str(path), engine="jit", threads=2)
    assert lgn.compile(path, engine="interp").classes == classes
    x = np.random.default_rng(3).uniform(0, 1, size=(500, 36)).astype(np.float32)
    np.testing.assert_array_equal(loaded.predict(x), evaluate(x, t, layers, classes)[1])
    info = loaded.info()
    assert info["input_shape"] == [1, 6, 6]
    assert info["classes"] == classes
    assert [l["kind"] for l in info["layers"]] == ["threshold", "dense", "dense", "dense", "group_sum"]
    assert info["gates"] == 64 + 48 + 40
    assert info["threads"] == 2 and info["engine"] == "jit" and info["compiled_gates"] > 0


def test_concurrent_predictions_release_the_gil():
    m, t, layers, classes = build(5, widths=(512, 512, 400))
    x = np.random.default_rng(5).uniform(0, 1, size=(20000, 36)).astype(np.float32)
    expect = evaluate(x, t, layers, classes)[1]
    results = [None] * 4

    def work(i):
        results[i] = m.predict(x)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(4)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    for r in results:
        np.testing.assert_array_equal(r, expect)


def test_bad_inputs_are_clear_errors(tmp_path):
    m, t, layers, classes = build(1)
    with pytest.raises(ValueError, match=r"input shape \[10, 35\]"):
        m.predict(np.zeros((10, 35), dtype=np.float32))
    with pytest.raises(ValueError, match="scalar"):
        m.predict(np.float32(1.0))
    with pytest.raises(OSError, match="missing.lgn"):
        lgn.load(str(tmp_path / "missing.lgn"))
    junk = tmp_path / "junk.lgn"
    junk.write_bytes(b"\x10\x00\x00\x00\x00\x00\x00\x00{not json at all}")
    with pytest.raises(ValueError, match="junk.lgn"):
        lgn.load(str(junk))
    with pytest.raises(ValueError, match="engine"):
        lgn.load(str(junk), engine="gpu")
    with pytest.raises(ValueError, match="threads"):
        m.compile(threads=0)


def test_bad_networks_are_rejected():
    rng = np.random.default_rng(0)
    t = np.array([0.5], dtype=np.float32)
    layers = random_layers(rng, 16, (20, 10))
    with pytest.raises(ValueError, match="gate id 16"):
        bad = [(np.full(20, 16, dtype=np.uint8), layers[0][1], layers[0][2]), layers[1]]
        lgn.dense_model([16], t, bad, 2, 1.0)
    with pytest.raises(ValueError, match="out of range"):
        bad = [(layers[0][0], layers[0][1] + 16, layers[0][2]), layers[1]]
        lgn.dense_model([16], t, bad, 2, 1.0)
    with pytest.raises(ValueError):
        lgn.dense_model([16], np.array([np.nan], dtype=np.float32), layers, 2, 1.0)
    with pytest.raises(ValueError, match="class groups"):
        lgn.dense_model([16], t, layers, 3, 1.0)
    with pytest.raises(ValueError, match="thresholds must have shape"):
        lgn.dense_model([16], np.zeros((3, 2), dtype=np.float32), layers, 2, 1.0)


def test_conv_model_builds_and_rejects(tmp_path):
    """lgn.conv_model: a conv -> padded pool -> dense network builds, round-trips through a file and runs alike on
    the JIT and the interpreter; malformed layer dicts get errors naming the layer."""
    rng = np.random.default_rng(5)
    t = np.array([0.25, 0.75], dtype=np.float32)  # (1, 6, 6) input, 2 thresholds: a (2, 6, 6) map
    conv = {"kind": "tree_conv", "gates": rng.integers(0, 16, size=(3, 3), dtype=np.uint8),
            "leaves": np.stack([rng.integers(0, 2, size=(3, 4)), rng.integers(0, 3, size=(3, 4)),
                                rng.integers(0, 3, size=(3, 4))], axis=-1),
            "kernel": 3, "stride": 1, "padding": 1}
    pool = {"kind": "or_pool", "size": 2, "stride": 2, "padding": 1}  # 6x6 -> 4x4
    dense = {"kind": "dense", "gates": rng.integers(0, 16, 20, dtype=np.uint8),
             "a": rng.integers(0, 48, 20), "b": rng.integers(0, 48, 20)}
    m = lgn.conv_model([1, 6, 6], t, [conv, pool, dense], 2, 1.0)
    assert [layer["kind"] for layer in m.info()["layers"]][1:3] == ["tree_conv", "or_pool"]
    m.save(str(tmp_path / "c.lgn"))
    x = rng.uniform(0, 1, size=(500, 1, 6, 6)).astype(np.float32)
    np.testing.assert_array_equal(lgn.load(str(tmp_path / "c.lgn")).scores(x), m.compile(engine="interp").scores(x))
    with pytest.raises(ValueError, match="layer 0: unknown kind"):
        lgn.conv_model([1, 6, 6], t, [{"kind": "conv"}], 2, 1.0)
    with pytest.raises(ValueError, match="layer 1: no \"stride\""):
        lgn.conv_model([1, 6, 6], t, [conv, {"kind": "or_pool", "size": 2}], 2, 1.0)
    with pytest.raises(ValueError, match="layer 0: gates"):
        lgn.conv_model([1, 6, 6], t, [dict(conv, gates=np.zeros((3, 4), dtype=np.uint8))], 2, 1.0)
    with pytest.raises(ValueError, match="feature map"):
        lgn.conv_model([36], t, [conv], 2, 1.0)
    with pytest.raises(ValueError, match="layer 2: input index 48 out of range"):
        lgn.conv_model([1, 6, 6], t, [conv, pool, dict(dense, a=np.full(20, 48))], 2, 1.0)
    with pytest.raises(ValueError, match="padding"):
        lgn.conv_model([1, 6, 6], t, [conv, dict(pool, padding=2), dense], 2, 1.0)


def test_conv_preset_runs_alike_on_every_engine(tmp_path):
    m = lgn.preset_model("mnist-s", scale=0.25, thresholds=2, seed=3)
    kinds = [layer["kind"] for layer in m.info()["layers"]]
    assert kinds.count("tree_conv") == 3 and kinds.count("or_pool") == 3
    rng = np.random.default_rng(5)
    x = rng.integers(0, 256, size=(700, 1, 28, 28), dtype=np.uint8)
    scores = m.scores(x)
    assert scores.shape == (700, 10)
    for engine in ["interp", "c"]:
        other = m.compile(engine=engine, threads=1)
        np.testing.assert_array_equal(other.scores(x), scores)
    np.testing.assert_array_equal(m.predict(x), np.argmax(scores, axis=1))
    path = tmp_path / "conv.lgn"
    m.save(str(path))
    np.testing.assert_array_equal(lgn.load(str(path)).scores(x), scores)
    with pytest.raises(ValueError, match="mnist-s"):
        lgn.preset_model("mnist-xs")
    with pytest.raises(ValueError, match="shape"):
        m.predict(np.zeros((3, 784 + 1), dtype=np.uint8))
