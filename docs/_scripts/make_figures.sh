#!/usr/bin/env bash
# Redraw the committed pictures of the docs from the example scripts. Needs Graphviz's
# dot program (apt-get install graphviz) and the examples extra (matplotlib).
# From the repository root:   bash docs/_scripts/make_figures.sh
set -euo pipefail
python="${PYTHON:-python}"
out="$(dirname "$0")/../_static/figures"
command -v dot > /dev/null || { echo "make_figures: install Graphviz's dot program" >&2; exit 1; }
# The RNN of the BPTT page, unrolled over 3 steps: rnn_3_steps.dot and rnn_3_steps.svg.
"$python" examples/unrolled_graph.py --cell rnn --steps 3 --out "$out"
# The LSTM over 2 steps, for comparison: lstm_2_steps.dot and lstm_2_steps.svg.
"$python" examples/unrolled_graph.py --cell lstm --steps 2 --out "$out"
