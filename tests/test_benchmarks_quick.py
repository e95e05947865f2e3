"""Smoke test of the benchmark suite: ``python -m benchmarks --quick`` runs end to end.

No thresholds: timings on a CI machine mean little. The test checks that every
workload runs, that the table and the JSON file hold what ``benchmarks/README.md``
promises, and that all contenders of a workload compute the same loss, the
premise of every comparison. It runs with and without PyTorch, and, through a
stand-in device that computes on the CPU, through the GPU mode's plumbing.
"""

import json
import math
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
WORKLOADS = ["W1", "W2", "W3", "W4", "W5", "W6", "W7", "W8"]
GPU_WORKLOADS = ["W1", "W2", "W3", "W4", "W5", "G1", "G2", "G3", "G4", "G5"]


@pytest.fixture
def run_quick(monkeypatch, tmp_path, capsys):
    """Run the quick suite in this process; return its printed table and its JSON file."""
    # ``benchmarks`` sits next to the package, not inside it.
    monkeypatch.syspath_prepend(str(ROOT))
    from benchmarks.run import main

    def run(*options):
        path = tmp_path / "bench.json"
        main(["--quick", "--json", str(path), *options])
        return capsys.readouterr().out, json.loads(path.read_text())

    return run


# The workloads where MyGrad and autograd run too: the LSTM, the tanh RNN and W4's chain.
PEER_WORKLOADS = {"W1", "W3", "W4", "W6"}
# The recurrent workloads, which also run written by hand in NumPy: the one-layer
# networks on mean(out**2) and W5's character model.
BY_HAND_WORKLOADS = {"W1", "W2", "W3", "W5", "W6"}


# The LSTM workloads, where PyTorch's fused layer also runs without oneDNN on the CPU.
LSTM_WORKLOADS = {"W1", "W5", "W6"}


def expected_contenders(key, torch_names, peers):
    """The rows of workload ``key``, in order, given the torch rows and the installed peers."""
    if key == "W7":  # one script, two frameworks
        return ["minigrad", *torch_names["W7"]]
    if key == "W8":  # lengths against the same layer on the full padded batch
        return ["minigrad", "minigrad full length", *torch_names["W8"]]
    torch_rows = torch_names["W4" if key == "W4" else "rnn"]
    return ["minigrad", *torch_rows,
            *(["torch no oneDNN"] if torch_rows and key in LSTM_WORKLOADS else []),
            *(peers if key in PEER_WORKLOADS else []),
            *(["numpy by hand"] if key in BY_HAND_WORKLOADS else []),
            *([] if key == "W4" else ["matmul floor"])]


def check_structure(table, report, torch_names):
    assert [w["key"] for w in report["workloads"]] == WORKLOADS
    assert report["settings"]["quick"] is True
    rounds = report["settings"]["rounds"]
    peers = [name for name, version in report["environment"]["peers"].items() if version]
    for workload in report["workloads"]:
        assert f"{workload['key']}  " in table
        names = expected_contenders(workload["key"], torch_names, peers)
        assert list(workload["contenders"]) == names
        for name, figures in workload["contenders"].items():
            assert len(figures["seconds"]) == rounds
            assert 0 < figures["low"] <= figures["median"] <= figures["high"]
            assert ("ratio" in figures) == (name != "minigrad")
        losses = list(workload["losses"].values())
        assert all(math.isclose(loss, losses[0], rel_tol=1e-3) for loss in losses)
    by_key = {w["key"]: w for w in report["workloads"]}
    for key, rows in [("W6", torch_names["rnn"]), ("W7", torch_names["W7"])]:
        memory = by_key[key]["memory_mib"]
        assert [m["name"] for m in memory] == ["minigrad", *rows]
        assert all(m["baseline_mib"] > 0 for m in memory)


def test_quick_suite_with_torch(run_quick):
    pytest.importorskip("torch")
    table, report = run_quick()
    assert report["environment"]["torch"] is not None
    check_structure(table, report, {"rnn": ["torch fused", "torch loop"], "W4": ["torch eager"],
                                    "W7": ["torch loop"], "W8": ["torch packed"]})


def test_quick_suite_without_torch_or_peers(run_quick, monkeypatch):
    # A None entry in sys.modules makes ``import torch`` raise ImportError.
    for name in ("torch", "mygrad", "autograd"):
        monkeypatch.setitem(sys.modules, name, None)
    table, report = run_quick()
    assert "torch not installed" in table and "mygrad not installed" in table
    assert report["environment"]["torch"] is None
    check_structure(table, report, {"rnn": [], "W4": [], "W7": [], "W8": []})


def test_cupy_backend_without_cupy_exits_with_one_line():
    # A fresh interpreter in which ``import cupy`` fails, whatever this machine has.
    code = ("import sys; sys.modules['cupy'] = None; from benchmarks.run import main; "
            "main(['--quick', '--backend', 'cupy'])")
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 2
    assert done.stdout == ""
    lines = done.stderr.splitlines()
    assert len(lines) == 1, done.stderr
    assert "--backend cupy" in lines[0] and "CuPy is not installed" in lines[0]
    assert "pip install" in lines[0]


def test_gpu_mode_plumbing_with_a_stand_in_device(run_quick, monkeypatch):
    """``--backend cupy`` with a device that computes on the CPU but is run as a GPU."""
    pytest.importorskip("torch")
    from benchmarks import frameworks

    waits = {"minigrad": 0, "torch": 0}

    def waiter(framework):
        def wait():
            waits[framework] += 1
        return wait

    stand_in = frameworks.Device(
        backend="numpy", torch_device="cpu", label="Stand-in GPU", is_gpu=True,
        install_torch="pip install torch", wait_minigrad=waiter("minigrad"),
        wait_torch=waiter("torch"), versions={"CuPy": "0.0-test"})
    monkeypatch.setitem(frameworks.DEVICES, "cupy", lambda: stand_in)
    table, report = run_quick("--backend", "cupy")

    assert [w["key"] for w in report["workloads"]] == GPU_WORKLOADS
    assert "GPU: Stand-in GPU | CuPy 0.0-test" in table
    assert "W6  " not in table and "W7  " not in table and "W8  " not in table
    env = report["environment"]
    assert env["backend"] == "numpy" and env["gpu"] == "Stand-in GPU" and env["peers"] == {}
    for workload in report["workloads"]:
        torch_names = ["torch eager"] if workload["key"] == "W4" else ["torch fused", "torch loop"]
        # No matmul floor and no NumPy-based peers on a GPU.
        assert list(workload["contenders"]) == ["minigrad", *torch_names]
        losses = list(workload["losses"].values())
        assert all(math.isclose(loss, losses[0], rel_tol=1e-3) for loss in losses)
        assert workload["memory_mib"] == []
    g1 = report["workloads"][GPU_WORKLOADS.index("G1")]
    assert g1["unit"] == "us/t" and g1["per_step"] == 8
    # Every step, timed or not, ended by waiting for its framework's device.
    assert waits["minigrad"] > 0 and waits["torch"] > 0


def test_gpu_workloads_sizes_and_targets(monkeypatch):
    """G1-G5's goals: beat the torch loop everywhere, within 3x of cuDNN on the big LSTM."""
    monkeypatch.syspath_prepend(str(ROOT))
    from benchmarks.bench_rnn import gpu_workloads

    workloads = gpu_workloads()
    assert [w.key for w in workloads] == GPU_WORKLOADS[5:]
    for w, hidden in zip(workloads, [128, 512, 1024, 1024, 1024], strict=True):
        assert f"T=100 B=64 I={hidden} H={hidden}" in w.title
        assert w.targets == ({"torch loop": 1.0, "torch fused": 3.0} if w.key == "G3"
                             else {"torch loop": 1.0})


def test_gpu_mode_without_cuda_torch_says_why(monkeypatch):
    torch = pytest.importorskip("torch")
    if torch.cuda.is_available():
        pytest.skip("this torch can use CUDA")
    monkeypatch.syspath_prepend(str(ROOT))
    from benchmarks import frameworks

    cuda = frameworks.Device(backend="numpy", torch_device="cuda", label="Stand-in GPU",
                             is_gpu=True, install_torch=frameworks.INSTALL_TORCH_CUDA)
    found, why = cuda.torch_or_why_not()
    assert found is None and cuda.load_torch() is None
    assert f"torch {torch.__version__} cannot use cuda" in why and "pip install torch" in why
