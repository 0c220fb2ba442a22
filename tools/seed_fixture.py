"""Bench fixture: run the seed's Python login server (extracted by `make bench` from the
seed's deleted lines into a temporary file) against the fake issuer on a chosen port.

Usage: python3 seed_fixture.py SEED_PY ISSUER_URL PORT   (CODEX_HOME must be set)

The seed ends by calling main() at module level, so its body is run without that last line,
the globals it reads when it builds its server are pointed at the fake issuer, then main().
"""

import sys
import types

seed_path, issuer, port = sys.argv[1], sys.argv[2], int(sys.argv[3])
with open(seed_path, encoding="utf-8") as f:
    body, last = f.read().rstrip().rsplit("\n", 1)
if last.strip() != "main()":
    sys.exit(f"unexpected seed ending: {last!r}")
seed = types.ModuleType("seed_login")
seed.__file__ = seed_path
sys.modules["seed_login"] = seed  # dataclasses look their module up there
exec(compile(body, seed_path, "exec"), seed.__dict__)
seed.REQUIRED_PORT = port
seed.URL_BASE = f"http://localhost:{port}"
seed.DEFAULT_ISSUER = issuer
sys.argv = [seed_path, "--no-browser"]
seed.main()
