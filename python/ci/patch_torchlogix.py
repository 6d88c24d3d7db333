"""Makes torchlogix 0.2.2 importable on Python < 3.12.

Its circuit.py nests a triple-quoted f-string inside another one with the same quotes, which only Python 3.12+
parses. This rewrites the inner one's quotes (f\"\"\"...\"\"\" -> f'''...''') in the installed copy; nothing else.
"""

import pathlib
import sys

import importlib.util

spec = importlib.util.find_spec("torchlogix")
if spec is None or not spec.submodule_search_locations:
    sys.exit("torchlogix is not installed")
path = pathlib.Path(list(spec.submodule_search_locations)[0]) / "circuit.py"
src = path.read_text()
old_open = '{"" if pack_bits is None else f"""'
if old_open not in src:
    print(f"{path}: nothing to patch")
    sys.exit(0)
start = src.index(old_open) + len(old_open) - 3
end = src.index('"""}', start + 3)
src = src[:start] + "'''" + src[start + 3 : end] + "'''}" + src[end + 4 :]
path.write_text(src)
print(f"{path}: inner f-string quotes rewritten")
