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

from . import Model, dense_model

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


def layers_of(model):
    """Reads ``(layers, classes, tau)`` from a network: the logic layers as ``(ids, a, b, in_dim)``."""
    torch = _torch()
    layers, group = [], None
    for i, m in enumerate(_flatten(model)):
        if isinstance(m, (torch.nn.Flatten, torch.nn.Identity)) and not layers:
            continue
        if group is not None:
            raise ValueError(f"module {i} ({type(m).__name__}) follows GroupSum; GroupSum must be the last module")
        if hasattr(m, "k") and hasattr(m, "tau") and type(m).__name__ == "GroupSum":
            if float(getattr(m, "beta", 0.0)) != 0.0:
                raise ValueError("GroupSum with beta != 0 is not supported")
            group = (int(m.k), float(m.tau))
            continue
        layer = _logic_layer(m)
        if layer is None:
            raise ValueError(
                f"module {i} ({type(m).__name__}) is not supported: lgn exports Flatten, difflogic LogicLayer "
                "and GroupSum, and torchlogix LogicDense and GroupSum (binarize inputs with `thresholds=`)"
            )
        if layers and layer[3] != len(layers[-1][0]):
            raise ValueError(f"module {i} reads {layer[3]} inputs but the previous layer has {len(layers[-1][0])}")
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
