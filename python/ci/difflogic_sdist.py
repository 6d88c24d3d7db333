"""Installs difflogic 0.1.0 from its sdist without the CUDA extension, for tests and benchmarks.

difflogic's setup.py builds a CUDA extension (``difflogic_cuda``) and its modules import it at the top, so
on a machine without CUDA: unpack the sdist in a temporary folder, install it with a plain setup script that
skips the extension, and register a placeholder ``difflogic_cuda`` module. The ``implementation='python'``
layers and ``CompiledLogicNet`` (its gcc export) need nothing from it. Nothing of difflogic is copied into
this repository.
"""

import subprocess
import sys
import tarfile
import types
from pathlib import Path


def install(sdist, work):
    """Installs the sdist into ``work/site``, puts it on ``sys.path`` and returns the imported module."""
    work = Path(work)
    with tarfile.open(sdist) as tar:
        tar.extractall(work, filter="data")
    src = next(p for p in work.iterdir() if p.is_dir() and p.name.startswith("difflogic"))
    (src / "setup.py").write_text(
        "from setuptools import setup\nsetup(name='difflogic', version='0.1.0', packages=['difflogic'])\n"
    )
    site = work / "site"
    cmd = [sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--no-build-isolation"]
    subprocess.run(cmd + ["--target", str(site), str(src)], check=True)
    sys.modules.setdefault("difflogic_cuda", types.ModuleType("difflogic_cuda"))
    sys.path.insert(0, str(site))
    import difflogic

    return difflogic
