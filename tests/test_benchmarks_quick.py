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


def check_structure(table, report, contenders):
    assert [w["key"] for w in report["workloads"]] == WORKLOADS
    assert report["settings"]["quick"] is True
    rounds = report["settings"]["rounds"]
    for workload in report["workloads"]:
        assert f"{workload['key']}  " in table
        names = contenders["W4" if workload["key"] == "W4" else "rnn"]
        assert list(workload["contenders"]) == names
        for name, figures in workload["contenders"].items():
            assert len(figures["seconds"]) == rounds
            assert 0 < figures["low"] <= figures["median"] <= figures["high"]
            assert ("ratio" in figures) == (name != "minigrad")
        losses = list(workload["losses"].values())
        assert all(math.isclose(loss, losses[0], rel_tol=1e-3) for loss in losses)
    memory = report["workloads"][-1]["memory_mib"]
    assert [m["name"] for m in memory] == [n for n in contenders["rnn"] if n != "matmul floor"]
    assert all(m["baseline_mib"] > 0 for m in memory)


def test_quick_suite_with_torch(run_quick):
    pytest.importorskip("torch")
    table, report = run_quick()
    assert report["environment"]["torch"] is not None
    check_structure(table, report, {
        "rnn": ["minigrad", "torch fused", "torch loop", "matmul floor"],
        "W4": ["minigrad", "torch eager"],
    })


def test_quick_suite_without_torch(run_quick, monkeypatch):
    # A None entry in sys.modules makes ``import torch`` raise ImportError.
    monkeypatch.setitem(sys.modules, "torch", None)
    table, report = run_quick()
    assert "torch not installed" in table
    assert report["environment"]["torch"] is None
    check_structure(table, report, {"rnn": ["minigrad", "matmul floor"], "W4": ["minigrad"]})
