"""minigrad against PyTorch, in one process, on the workloads of issue 6.

Run ``python -m benchmarks`` from the repository root; ``--help`` lists the
options and ``benchmarks/README.md`` explains the table.
"""
