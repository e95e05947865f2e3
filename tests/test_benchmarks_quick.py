"""Smoke test of the benchmark suite: ``python -m benchmarks --quick`` runs end to end.

No thresholds: timings on a CI machine mean little. The test checks that every
workload runs, that the table and the JSON file hold what ``benchmarks/README.md``
promises, and that all contenders of a workload compute the same loss, the
premise of every comparison. It runs with and without PyTorch.
"""

import json
import math
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
WORKLOADS = ["W1", "W2", "W3", "W4", "W5", "W6"]


@pytest.fixture
def run_quick(monkeypatch, tmp_path, capsys):
    """Run the quick suite in this process; return its printed table and its JSON file."""
    # ``benchmarks`` sits next to the package, not inside it.
    monkeypatch.syspath_prepend(str(ROOT))
    from benchmarks.run import main

    def run():
        path = tmp_path / "bench.json"
        main(["--quick", "--json", str(path)])
        return capsys.readouterr().out, json.loads(path.read_text())

    return run


# The workloads where MyGrad and autograd run too: the LSTM, the tanh RNN and W4's chain.
PEER_WORKLOADS = {"W1", "W3", "W4", "W6"}


def expected_contenders(key, torch_names, peers):
    """The rows of workload ``key``, in order, given the torch rows and the installed peers."""
    return ["minigrad", *torch_names["W4" if key == "W4" else "rnn"],
            *(peers if key in PEER_WORKLOADS else []), *([] if key == "W4" else ["matmul floor"])]


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
    memory = report["workloads"][-1]["memory_mib"]
    assert [m["name"] for m in memory] == ["minigrad", *torch_names["rnn"]]
    assert all(m["baseline_mib"] > 0 for m in memory)


def test_quick_suite_with_torch(run_quick):
    pytest.importorskip("torch")
    table, report = run_quick()
    assert report["environment"]["torch"] is not None
    check_structure(table, report, {"rnn": ["torch fused", "torch loop"], "W4": ["torch eager"]})


def test_quick_suite_without_torch_or_peers(run_quick, monkeypatch):
    # A None entry in sys.modules makes ``import torch`` raise ImportError.
    for name in ("torch", "mygrad", "autograd"):
        monkeypatch.setitem(sys.modules, name, None)
    table, report = run_quick()
    assert "torch not installed" in table and "mygrad not installed" in table
    assert report["environment"]["torch"] is None
    check_structure(table, report, {"rnn": [], "W4": []})
