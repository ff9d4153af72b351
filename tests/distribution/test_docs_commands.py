"""The "Scaling out" commands of docs/scaling.md, run as written on its ``train.py`` (``python`` is
this interpreter, ``torchrun`` its ``torch.distributed.run``; the multi-host forms run their
processes on localhost with the address replaced by a free local port): every form prints the
same final loss as one device."""
from __future__ import annotations

import os
import re
import shlex
import socket
import subprocess
import sys

import pytest

pytest.importorskip("jax")
pytest.importorskip("torch")

DOC = os.path.join(os.path.dirname(__file__), "..", "..", "docs", "scaling.md")


def _doc() -> tuple[str, list[str]]:
    with open(DOC, encoding="utf-8") as f:
        text = f.read()
    script = next(b for b in re.findall(r"```python\n(.*?)```", text, re.S) if "train.py" in b)
    commands = []
    for block in re.findall(r"```bash\n(.*?)```", text, re.S):
        for cmd in block.replace("\\\n", " ").splitlines():
            cmd = " ".join(cmd.split("#")[0].split())
            if cmd and cmd not in commands:
                commands.append(cmd)
    return script, commands


SCRIPT, COMMANDS = _doc()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _shell(cmd: str) -> str:
    py = shlex.quote(sys.executable)
    cmd = re.sub(r"\btorchrun\b", f"{py} -m torch.distributed.run", cmd)
    return re.sub(r"\bpython train\.py", f"{py} train.py", cmd)


def _env() -> dict:
    # PYTHONUNBUFFERED makes print() two writes (text, then newline); buffered, a rank's last line is
    # usually one write (the regex in _run_all also copes with an interleaved line)
    dropped = ("KSHIM_BACKEND", "KERAS_BACKEND", "XLA_FLAGS", "PYTHONUNBUFFERED")
    env = {k: v for k, v in os.environ.items() if k not in dropped}
    env["OMP_NUM_THREADS"] = "1"
    return env


def _run_all(cmds: list[str], tmp_path, extra_env: dict | None = None) -> list[str]:
    """Start ``cmds`` together (the processes of one job), wait, return the loss lines."""
    (tmp_path / "train.py").write_text(SCRIPT)
    procs = [subprocess.Popen(_shell(c), shell=True, cwd=tmp_path, env={**_env(), **(extra_env or {})},
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for c in cmds]
    outs = []
    for p in procs:
        out, err = p.communicate(timeout=420)  # generous: CI machines may be loaded
        assert p.returncode == 0, err[-3000:]
        # exactly the script's ``:.6f``: two ranks share one stdout pipe, and the other rank's progress
        # line can land between a print's text and its newline ("loss=0.48986216/16 - ...")
        outs += re.findall(r"devices=\d+ loss=\d+\.\d{6}", out)
    return outs


def _find(*needles: str) -> list[str]:
    found = [c for c in COMMANDS if all(n in c for n in needles)]
    assert found, (needles, COMMANDS)
    return found


@pytest.fixture(scope="module")
def one_device(tmp_path_factory):
    [cmd] = [c for c in COMMANDS if c == "KSHIM_BACKEND=jax python train.py"]
    [line] = _run_all([cmd], tmp_path_factory.mktemp("one"))
    assert line.startswith("devices=1 ")
    return line.split()[1]


def test_four_local_jax_devices(one_device, tmp_path):
    [cmd] = _find("xla_force_host_platform_device_count=4")
    assert _run_all([cmd], tmp_path) == [f"devices=4 {one_device}"]


def test_two_torch_ranks(one_device, tmp_path):
    [cmd] = _find("torchrun --standalone --nproc-per-node 2")
    assert _run_all([cmd], tmp_path) == [f"devices=2 {one_device}"] * 2


def test_two_jax_hosts_on_localhost(one_device, tmp_path):
    cmds = _find("KERAS_DISTRIBUTION_JOB_ADDRESSES=10.0.0.1:1234")
    assert len(cmds) == 2
    port = _free_port()
    cmds = [c.replace("10.0.0.1:1234", f"127.0.0.1:{port}") for c in cmds]
    # each "host" has 2 forced CPU devices: 4 devices in all, across 2 processes
    out = _run_all(cmds, tmp_path, {"XLA_FLAGS": "--xla_force_host_platform_device_count=2"})
    assert out == [f"devices=4 {one_device}"] * 2


def test_two_torch_nodes_on_localhost(one_device, tmp_path):
    [cmd] = _find("torchrun --nnodes 2")
    cmd = cmd.replace("10.0.0.1:29500", f"127.0.0.1:{_free_port()}").replace("--nproc-per-node 8",
                                                                             "--nproc-per-node 1")
    assert _run_all([cmd, cmd], tmp_path) == [f"devices=2 {one_device}"] * 2


def test_readme_scaling_commands_are_the_tested_ones():
    """README's "Scaling out" block shows commands of docs/scaling.md (the ones run above)."""
    readme = os.path.join(os.path.dirname(DOC), "..", "README.md")
    with open(readme, encoding="utf-8") as f:
        section = f.read().split("## Scaling out", 1)[1].split("\n## ", 1)[0]
    shown = []
    for block in re.findall(r"```bash\n(.*?)```", section, re.S):
        for cmd in block.replace("\\\n", " ").splitlines():
            cmd = " ".join(cmd.split("#")[0].split())
            if cmd:
                shown.append(cmd)
    assert len(shown) == 5
    for cmd in shown:
        assert cmd in COMMANDS, f"README command not in docs/scaling.md: {cmd}"

