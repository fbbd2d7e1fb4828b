#!/usr/bin/env bash
# Runs a Python unittest file with Debian's python3 (python3-grpcio, python3-protobuf) and
# writes its results where Bazel expects JUnit XML (tests/testing/xml_unittest.py).
set -euo pipefail
script=$1
shift
exec /usr/bin/python3 "$(dirname "$0")/../testing/xml_unittest.py" "$script" "$@"
