"""Presenting results: the text table and the JSON document."""

from .harness import BASELINE, Spread

_ROW = "    {:<16}{:>10} {:>19}  {:>11} {:>15}  {}"


def _num(value):
    return f"{value:.4g}"


def _range(spread):
    return f"{_num(spread.low)} - {_num(spread.high)}"


def _verdict(ratio, target):
    return f"<= {target:.2f} {'met' if ratio <= target else 'MISSED'}"


def _torch(env):
    """PyTorch's version and where it runs, or why its columns are missing."""
    if env["torch"] is None:
        return env["torch_missing"]
    if env["torch_device"] == "cpu":
        return f"torch {env['torch']} (threads: {env['torch_threads']})"
    return f"torch {env['torch']} on {env['torch_device']} (CUDA {env['torch_cuda']}, TF32 off)"


def _header(env, settings):
    machine = f"Python {env['python']} | {env['machine']}"
    if env["load_average"] is not None:
        machine += f" | load average {env['load_average']:.2f} at the start"
    quick = " | --quick: tiny sizes, no targets" if settings["quick"] else ""
    numpy = f"numpy {env['numpy']} ({env['blas']}, threads: {env['blas_threads']})"
    if env["gpu"] is None:
        peers = ", ".join(f"{name} {version}" if version else f"{name} not installed"
                          for name, version in env["peers"].items())
        frameworks = [f"minigrad {env['minigrad']} | {_torch(env)} | peers: {peers}",
                      f"{numpy} | {machine}"]
    else:
        frameworks = [
            f"minigrad {env['minigrad']} on {env['backend']} | {_torch(env)}",
            " | ".join([f"GPU: {env['gpu']}",
                        *(f"{name} {version}" for name, version in env["gpu_libraries"].items()),
                        numpy, machine]),
            ("not on the GPU: W6 (host peak memory), the NumPy matmul floor and the "
             "NumPy-based peers; every step ends by synchronising its device"),
        ]
    return frameworks + [
        (f"{settings['rounds']} timed rounds per workload, contenders interleaved A B A B "
         f"after warm-up{quick}"),
        ("time: median over rounds [min - max];  minigrad/it: median over rounds of the "
         "ratio within each round [min - max]"),
    ]


def _workload_lines(result, show_targets):
    w = result.workload
    lines = ["", f"{w.key}  {w.title}   [{w.unit}]"]
    lines.append(_ROW.format("contender", "median", "min - max", "minigrad/it", "min - max",
                             "target" if show_targets else "").rstrip())
    for name in result.seconds:
        spread = result.spread(name)
        ratio, verdict = ("", ""), ""
        ratios = result.ratios(name)
        if ratios is not None:
            r = Spread.of(ratios)
            ratio = (f"{r.median:.2f}x", f"{r.low:.2f} - {r.high:.2f}")
            if show_targets and name in w.targets:
                verdict = _verdict(r.median, w.targets[name])
        lines.append(_ROW.format(name, _num(spread.median), _range(spread), *ratio,
                                 verdict).rstrip())
    lines += _memory_lines(result.memory, show_targets)
    mismatch = result.loss_mismatch()
    if mismatch:
        losses = ", ".join(f"{name} {loss:.6g}" for name, loss in result.losses.items())
        lines.append(f"    ! the losses differ ({losses}): weights or data are not identical")
    return lines


def _memory_lines(memory, show_targets):
    """W6's rows: each contender's peak memory, and minigrad's over each of PyTorch's."""
    if not memory:
        return []
    title = ("    peak memory of one step above the interpreter+import baseline, "
             "one process per contender   [MiB]")
    lines = [title]
    ours = next((m for m in memory if m.name == BASELINE), None)
    for m in memory:
        ratio, verdict = "", ""
        if ours is not None and m is not ours and m.above_baseline_mib > 0:
            value = ours.above_baseline_mib / m.above_baseline_mib
            ratio = f"{value:.2f}x"
            # Issue 6's goal: no more memory than PyTorch's composed-cell loop, the W6
            # comparison (its "about 33 MiB" is that process); the fused row is shown only.
            verdict = _verdict(value, 1.0) if show_targets and m.name == "torch loop" else ""
        lines.append(_ROW.format(m.name, f"{m.above_baseline_mib:.1f}",
                                 f"(baseline {m.baseline_mib:.0f})", ratio, "",
                                 verdict).rstrip())
    return lines


def format_table(results, env, settings):
    """Return the whole report as text: a header, then one block per workload."""
    lines = _header(env, settings)
    for result in results:
        lines += _workload_lines(result, show_targets=not settings["quick"])
    return "\n".join(lines)


def to_json(results, env, settings):
    """Return the report as a JSON-ready dict: raw per-round seconds and their summaries."""
    workloads = []
    for result in results:
        w = result.workload
        contenders = {}
        for name, seconds in result.seconds.items():
            entry = {"seconds": seconds, "calls_per_round": result.calls_per_round[name],
                     **vars(result.spread(name))}
            ratios = result.ratios(name)
            if ratios is not None:
                entry["ratio"] = {"per_round": ratios, **vars(Spread.of(ratios))}
                if name in w.targets:
                    entry["target"] = w.targets[name]
            contenders[name] = entry
        workloads.append({
            "key": w.key, "title": w.title, "unit": w.unit, "per_step": w.per_step,
            "losses": result.losses, "contenders": contenders,
            "memory_mib": [vars(m) for m in result.memory],
        })
    return {"environment": env, "settings": settings, "workloads": workloads}
