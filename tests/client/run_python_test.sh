#!/usr/bin/env bash
# Runs a Python unittest file with Debian's python3 (which has python3-jsonschema and
# python3-yaml) and writes its results where Bazel expects JUnit XML.
set -euo pipefail
script=$1
shift
exec /usr/bin/python3 "$(dirname "$0")/../testing/xml_unittest.py" "$script" "$@"
