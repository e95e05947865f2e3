#!/usr/bin/env bash
# Build the documentation and run every code sample in it, failing on any warning
# or broken reference. From the repository root, after pip install -e ".[docs]":
#     bash docs/build.sh                  (PYTHON=.venv/bin/python bash docs/build.sh)
# The pages land in docs/_build/html/index.html.
set -euo pipefail
docs="$(dirname "$0")"
python="${PYTHON:-python}"
opts=(-W --keep-going -n -q)
"$python" -m sphinx "${opts[@]}" -b html "$docs" "$docs/_build/html"
"$python" -m sphinx "${opts[@]}" -b doctest "$docs" "$docs/_build/doctest"
echo "docs: built $docs/_build/html/index.html; doctests passed"
