#!/usr/bin/env bash
# The test command from the README: the full suite with JAX (the default backend),
# then every model family and the pipeline again with TensorFlow.
set -uo pipefail
cd "$(dirname "$0")/.."

run() {
  python -m pytest -q -p no:cacheprovider "$@"
  status=$?
  # pytest exits 5 when it collects nothing: that is a failure here, not a pass.
  if [ "$status" -eq 5 ]; then echo "pytest collected no tests: $*"; return 1; fi
  return "$status"
}

KERAS_BACKEND=jax run tests || exit 1
KERAS_BACKEND=tensorflow run tests/models tests/pipeline tests/runtime tests/test_images.py -m "not slow and not cross_backend" || exit 1
