"""Bench fixture: run the seed's Python login server (extracted by `make bench` from the
seed's deleted lines into a temporary file) against the fake issuer on a chosen port.

Usage: python3 seed_fixture.py SEED_PY ISSUER_URL PORT   (CODEX_HOME must be set)
"""

import importlib.util
import sys

seed_path, issuer, port = sys.argv[1], sys.argv[2], int(sys.argv[3])
spec = importlib.util.spec_from_file_location("seed_login", seed_path)
seed = importlib.util.module_from_spec(spec)
spec.loader.exec_module(seed)
# The seed reads these module globals when it builds its server and URLs.
seed.REQUIRED_PORT = port
seed.URL_BASE = f"http://localhost:{port}"
seed.DEFAULT_ISSUER = issuer
sys.argv = [seed_path, "--no-browser"]
seed.main()
