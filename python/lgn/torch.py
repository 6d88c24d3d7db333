"""Export networks trained in PyTorch with difflogic or torchlogix to lgn.

Five lines for a difflogic user (``model`` is the trained ``torch.nn.Sequential`` of ``Flatten``,
``LogicLayer`` and ``GroupSum``, fed with ``x > 0.5`` binarized images)::

    import lgn, lgn.torch
    lgn.torch.export(model, "model.lgn", input_shape=(1, 28, 28), thresholds=0.5)
    m = lgn.load("model.lgn")
    pred = m.predict(images)        # raw images: lgn applies the same thresholds
    print(m.info())

The wiring of a logic layer lives in module attributes or buffers (difflogic's ``indices``, torchlogix'
``connections.indices``), not only in the state dict, so the exporter reads the modules themselves. Each
neuron keeps the gate its library picks in eval mode (the argmax of its weights), so lgn predicts exactly what
``model.eval()`` predicts on the binarized inputs. torch is imported only when this module is used.
"""

from os import PathLike, fspath
from typing import Optional, Sequence, Union

import numpy as np

from . import Model, conv_model, dense_model

__all__ = ["export", "layers_of"]


def _torch():
    try:
        import torch  # noqa: F401
    except ImportError as e:  # pragma: no cover - depends on the environment
        raise ImportError("lgn.torch needs PyTorch: pip install torch") from e
    return torch


def _np(t) -> np.ndarray:
    return t.detach().cpu().numpy()


def _flatten(module):
    """The leaves of nested ``Sequential`` containers, in order."""
    torch = _torch()
    if isinstance(module, torch.nn.Sequential):
        for child in module:
            yield from _flatten(child)
    else:
        yield module


def _logic_layer(module):
    """``(gate ids, input a, input b, in_dim)`` of a difflogic or torchlogix dense logic layer, else None."""
    # difflogic: LogicLayer(weights [out, 16], indices = (a, b)).
    if hasattr(module, "weights") and hasattr(module, "indices") and hasattr(module, "in_dim"):
        w = module.weights
        if w.ndim != 2 or w.shape[1] != 16:
            raise ValueError(f"{type(module).__name__}: weights of shape {tuple(w.shape)}, expected (out, 16)")
        a, b = module.indices
        return _np(w.argmax(-1)).astype(np.uint8), _np(a).astype(np.int64), _np(b).astype(np.int64), module.in_dim
    # torchlogix: LogicDense(weight, parametrization, connections.indices [2, out]).
    if hasattr(module, "get_luts_and_ids") and hasattr(module, "connections") and hasattr(module, "in_dim"):
        if getattr(module, "lut_rank", 2) != 2:
            raise ValueError(f"{type(module).__name__}: lut_rank {module.lut_rank}; lgn supports 2-input gates")
        _, ids = module.get_luts_and_ids()
        conn = module.connections
        idx = conn.resolve_connections() if hasattr(conn, "resolve_connections") else conn.indices
        if idx.ndim != 2 or idx.shape[0] != 2:
            raise ValueError(f"{type(module).__name__}: connection indices of shape {tuple(idx.shape)}")
        return _np(ids).astype(np.uint8), _np(idx[0]).astype(np.int64), _np(idx[1]).astype(np.int64), module.in_dim
    return None


def _pair(v, what):
    """An int, or a pair of equal ints (lgn's windows and strides are square)."""
    if isinstance(v, (tuple, list)):
        if len(v) != 2 or v[0] != v[1]:
            raise ValueError(f"{what} {tuple(v)}: lgn supports square windows and equal strides")
        v = v[0]
    return int(v)


def _conv_layer(module):
    """The ``conv_model`` dict of a torchlogix ``LogicConv2d`` and its input map ``(channels, h, w)``."""
    name = type(module).__name__
    if getattr(module, "conv_dimension", 2) != 2:
        raise ValueError(f"{name}: only 2-D convolutions are supported")
    if getattr(module, "lut_rank", 2) != 2:
        raise ValueError(f"{name}: lut_rank {module.lut_rank}; lgn supports 2-input gates")
    depth, kernels = int(module.tree_depth), int(module.num_kernels)
    kernel = _pair(module.receptive_field_size, f"{name}: receptive field")
    # Leaf coordinates (h, w, c) of the first position, operand-major: (2, kernels, 2^(depth-1), 3). Every
    # other position is these plus its offset, so they are the kernel's wiring.
    level0 = module.connections.indices[0]
    if level0.ndim != 5 or level0.shape[0] != 2 or level0.shape[-1] != 3:
        raise ValueError(f"{name}: connection indices of shape {tuple(level0.shape)} (fixed 2-D connections only)")
    base = _np(level0[:, :, 0]).astype(np.int64)  # (2, K, S, 3)
    leaves = np.stack([base[0], base[1]], axis=2).reshape(kernels, 2**depth, 3)[:, :, [2, 0, 1]]
    _, tree_ids = module.get_luts_and_ids()
    # Tree order: the first level's nodes, then the next level's, the root last; per kernel.
    gates = np.concatenate([np.stack([_np(ids) for ids in level], axis=1) for level in tree_ids], axis=1)
    layer = {
        "kind": "tree_conv",
        "gates": gates.astype(np.uint8),
        "leaves": np.ascontiguousarray(leaves),
        "kernel": kernel,
        "stride": int(module.stride),
        "padding": int(module.padding),
    }
    h, w = (int(d) for d in module.in_dim)
    return layer, (int(module.channels), h, w)


def _pool_layer(module):
    """The ``conv_model`` dict of a torchlogix ``OrPooling2d``."""
    name = type(module).__name__
    size = _pair(module.kernel_size, f"{name}: window")
    stride = size if module.stride is None else _pair(module.stride, f"{name}: stride")
    return {"kind": "or_pool", "size": size, "stride": stride, "padding": _pair(module.padding, f"{name}: padding")}


def _out_side(n, window, stride, padding):
    return (n + 2 * padding - window) // stride + 1


def layers_of(model):
    """Reads ``(layers, classes, tau)`` from a network.

    Dense logic layers are ``(ids, a, b, in_dim)`` tuples; torchlogix ``LogicConv2d`` and ``OrPooling2d``
    layers are dicts for :func:`lgn.conv_model` (with the conv's input map under ``"input"``).
    """
    torch = _torch()
    layers, group, shape = [], None, None  # shape: the current feature map (c, h, w), None after dense layers
    for i, m in enumerate(_flatten(model)):
        kind = type(m).__name__
        if group is not None:
            raise ValueError(f"module {i} ({kind}) follows GroupSum; GroupSum must be the last module")
        if kind == "DummyBinarization" and not layers:
            continue  # torchlogix' identity "binarization" of already binary inputs
        if isinstance(m, (torch.nn.Flatten, torch.nn.Identity)):
            continue  # a map is read flattened by the dense layer after it (channel-major, as lgn stores it)
        if hasattr(m, "k") and hasattr(m, "tau") and kind == "GroupSum":
            if float(getattr(m, "beta", 0.0)) != 0.0:
                raise ValueError("GroupSum with beta != 0 is not supported")
            group = (int(m.k), float(m.tau))
            continue
        if kind == "LogicConv2d" and hasattr(m, "tree_weights"):
            layer, want = _conv_layer(m)
            if layers and shape != want:
                raise ValueError(f"module {i} ({kind}) reads a {want} map, but the previous layer makes {shape}")
            layer["input"] = want
            c, h, w = want
            k, s, p = layer["kernel"], layer["stride"], layer["padding"]
            shape = (layer["gates"].shape[0], _out_side(h, k, s, p), _out_side(w, k, s, p))
            layers.append(layer)
            continue
        if kind == "OrPooling2d":
            if shape is None:
                raise ValueError(f"module {i} ({kind}) needs a feature map before it")
            layer = _pool_layer(m)
            k, s, p = layer["size"], layer["stride"], layer["padding"]
            shape = (shape[0], _out_side(shape[1], k, s, p), _out_side(shape[2], k, s, p))
            layers.append(layer)
            continue
        layer = _logic_layer(m)
        if layer is None:
            raise ValueError(
                f"module {i} ({kind}) is not supported: lgn exports Flatten, difflogic LogicLayer "
                "and GroupSum, and torchlogix LogicDense, LogicConv2d, OrPooling2d and GroupSum (binarize inputs "
                "with `thresholds=`)"
            )
        if layers:
            prev = int(np.prod(shape)) if isinstance(layers[-1], dict) else len(layers[-1][0])
            if layer[3] != prev:
                raise ValueError(f"module {i} reads {layer[3]} inputs but the previous layer has {prev}")
        shape = None
        layers.append(layer)
    if not layers:
        raise ValueError("the network has no logic layer")
    if group is None:
        raise ValueError("the network does not end with GroupSum")
    return layers, group[0], group[1]


def export(
    model,
    path: Optional[Union[str, PathLike]] = None,
    *,
    input_shape: Optional[Sequence[int]] = None,
    thresholds: Union[float, Sequence[float], np.ndarray] = 0.5,
    comparison: str = "gt",
) -> Model:
    """Exports a difflogic/torchlogix network to an lgn :class:`~lgn.Model` (and to ``path`` if given).

    thresholds: how raw inputs become the network's input bits, bit ``j * features + f`` being
    ``x[f] > thresholds[j]`` (a float, k shared values, or an array ``(features, k)``), i.e. the k thresholded
    copies concatenated as in difflogic's examples. ``comparison="ge"`` uses ``>=``. input_shape: the shape of
    one raw sample (default: the first layer's inputs divided by k, flat).
    """
    layers, classes, tau = layers_of(model)
    t = np.asarray(thresholds, dtype=np.float32)
    if t.ndim == 0:
        t = t.reshape(1)
    k = t.shape[-1]
    if isinstance(layers[0], dict):
        # A convolutional network reads (channels, h, w) maps: input channel j * c + ch is threshold j of
        # raw channel ch, as when the k thresholded copies are concatenated along the channel axis.
        channels, h, w = layers[0]["input"]
        if input_shape is None:
            if channels % k:
                raise ValueError(f"the first convolution reads {channels} channels, not a multiple of {k} thresholds")
            input_shape = (channels // k, h, w)
        if len(input_shape) != 3 or (input_shape[0] * k, *input_shape[1:]) != (channels, h, w):
            raise ValueError(
                f"input_shape {tuple(input_shape)} with {k} threshold(s) gives a map of "
                f"{(input_shape[0] * k, *input_shape[1:])}, but the first convolution reads {(channels, h, w)}"
            )
        spec = [
            layer
            if isinstance(layer, dict)
            else {"kind": "dense", "gates": layer[0], "a": layer[1], "b": layer[2]}
            for layer in layers
        ]
        m = conv_model(list(input_shape), t, spec, classes, tau, comparison)
    else:
        in_dim = layers[0][3]
        if input_shape is None:
            if in_dim % k:
                raise ValueError(f"the first layer reads {in_dim} bits, not a multiple of {k} thresholds")
            input_shape = (in_dim // k,)
        features = int(np.prod(input_shape))
        if features * k != in_dim:
            raise ValueError(
                f"input_shape {tuple(input_shape)} with {k} threshold(s) gives {features * k} bits, "
                f"but the first layer reads {in_dim}"
            )
        m = dense_model(list(input_shape), t, [(g, a, b) for g, a, b, _ in layers], classes, tau, comparison)
    if path is not None:
        m.save(fspath(path))
    return m
