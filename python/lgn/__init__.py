"""lgn: compile and run logic gate networks as native code.

>>> import lgn
>>> m = lgn.load("model.lgn")            # compiled in-process (Cranelift/AVX2 JIT), all cores
>>> m.predict(x)                          # x: numpy uint8/float array, shape (n, *input_shape)
>>> m.scores(x)                           # GroupSum counts, shape (n, classes)
>>> m.info()

Networks trained with difflogic or torchlogix are exported with :mod:`lgn.torch`.
"""

from os import PathLike, fspath
from typing import Optional, Union

from ._lgn import Model, __version__, conv_model, dense_model, load, preset_model

__all__ = ["Model", "load", "compile", "conv_model", "dense_model", "preset_model", "__version__"]


def compile(
    model: Union[str, PathLike, Model],
    engine: str = "jit",
    threads: Optional[int] = None,
    opt_level: int = 2,
) -> Model:
    """Compiles a model (a `.lgn` path or a :class:`Model`) for an engine.

    engine: ``"jit"`` (native code generated in-process, the default), ``"interp"`` (the reference
    interpreter) or ``"c"`` (the C backend built by the system C compiler). threads: worker threads for
    evaluation (default: all cores). opt_level: netlist optimisation, 0 to 2.
    """
    if isinstance(model, Model):
        return model.compile(engine=engine, threads=threads, opt_level=opt_level)
    return load(fspath(model), engine=engine, threads=threads, opt_level=opt_level)
