"""Fuzz: a few hundred hostile files, each loaded by a subprocess worker under a memory limit and a
per-file timeout (issue 22, item 8). Fails on any hang, memory blow-up, crash, code execution,
read of a file outside the archive, half-loaded model, or internal (non-Keras-type) error."""
import collections
import os
import subprocess
import sys

import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import hostile_corpus  # noqa: E402

COUNT = int(os.environ.get("KSHIM_FUZZ_FILES", "240"))
MEMORY_MB = 3072       # address-space limit of the worker (jax and torch import fine under it)
TIMEOUT_S = 20         # per file; a clear error takes milliseconds


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    folder = str(tmp_path_factory.mktemp("hostile"))
    return folder, hostile_corpus.build(folder, COUNT)


def _run(backend_name, paths, folder):
    """Outcome class per file; a worker that dies is restarted after the file it died on."""
    outcomes: dict[int, str] = {}
    start = 0
    env = {**os.environ, "KSHIM_BACKEND": backend_name}
    while start < len(paths):
        listing = os.path.join(folder, f"list_{backend_name}_{start}.txt")
        with open(listing, "w") as fh:
            fh.write("\n".join(paths[start:]))
        proc = subprocess.run([sys.executable, hostile_corpus.__file__, backend_name, listing,
                               str(MEMORY_MB), str(TIMEOUT_S)], capture_output=True, text=True, env=env,
                              timeout=TIMEOUT_S * (len(paths) - start) + 120)
        done = [line.split(" ", 2) for line in proc.stdout.splitlines() if line.startswith("RESULT ")]
        for _, i, outcome in done:
            outcomes[start + int(i)] = outcome
        start += len(done)
        if start < len(paths):  # the worker died on paths[start]
            kind = "memory" if proc.returncode in (-9, 137) or "MemoryError" in proc.stderr else \
                f"crash(rc={proc.returncode}): {proc.stderr[-300:]}"
            outcomes[start] = kind
            start += 1
    return outcomes


def test_hostile_corpus(backend, corpus):
    folder, paths = corpus
    marker = os.path.join(folder, "EXECUTED")
    outcomes = _run(backend.name, paths, folder)
    counts = collections.Counter(o.split(":")[0] for o in outcomes.values())
    print(f"\n{backend.name}: {dict(counts)}")
    bad = {os.path.basename(paths[i]): o for i, o in sorted(outcomes.items())
           if o not in ("clear_error", "loaded")}
    assert not os.path.exists(marker), "a Lambda's bytecode ran during loading in safe mode"
    assert not os.path.exists(os.path.join(os.path.dirname(folder), "evil.txt"))
    assert not bad, f"{len(bad)} of {len(paths)} files gave a bad outcome: {bad}"
    assert counts["clear_error"] > len(paths) // 2  # the corpus really is hostile
