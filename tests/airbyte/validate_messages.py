#!/usr/bin/env python3
"""Validates a connector's stdout: one Airbyte protocol message per line.

Usage:
  validate_messages.py [--protocol YAML] [--well-known-types YAML] [--catalog JSON]
                       [--max-errors N] [FILE|-]

Each line of FILE (default: stdin) must be exactly one JSON object (strict UTF-8; no NaN or
Infinity literals; no duplicate keys; no blank lines) that validates against
definitions.AirbyteMessage of airbyte_protocol.yaml (JSON Schema draft-07). On top of the
schema, a message must carry the payload its type names (RECORD -> record, TRACE ERROR ->
trace.error, ...), as the Airbyte platform expects.

With --catalog (an AirbyteCatalog, a ConfiguredAirbyteCatalog, or a CATALOG message), every
RECORD's data is validated against its stream's json_schema, with the string formats date,
date-time and time and the keyword airbyte_type checked against the patterns of
well_known_types.yaml (date-time accepts with or without offset, time likewise; airbyte_type
timestamp_with_timezone etc. pins one). Those patterns require 4-digit years.

Prints the errors as "line N: ..." and a one-line summary, "N messages valid (RECORD 3, ...)"
or "K of N messages invalid". Exit status: 0 all valid, 1 invalid messages, 2 bad usage or
unreadable protocol, catalog or input.

Uses only python3-jsonschema (4.10 in Debian bookworm, newer also fine) and python3-yaml.
"""

import argparse
import collections
import json
import os
import pathlib
import re
import sys

try:
    import jsonschema
    import yaml
except ImportError:
    # Debian's python3-jsonschema and python3-yaml belong to /usr/bin/python3; another
    # python3 earlier on PATH (pyenv) may lack them. Re-run once under Debian's.
    if (os.environ.get("TSDB_VALIDATE_REEXEC") != "1" and os.path.exists("/usr/bin/python3")
            and os.path.realpath(sys.executable) != os.path.realpath("/usr/bin/python3")):
        os.environ["TSDB_VALIDATE_REEXEC"] = "1"
        os.execv("/usr/bin/python3", ["/usr/bin/python3"] + sys.argv)
    raise

DRAFT7 = "http://json-schema.org/draft-07/schema#"

# The payload field each message type must carry.
PAYLOAD_OF_TYPE = {
    "RECORD": "record",
    "STATE": "state",
    "LOG": "log",
    "SPEC": "spec",
    "CONNECTION_STATUS": "connectionStatus",
    "CATALOG": "catalog",
    "TRACE": "trace",
    "CONTROL": "control",
    "DESTINATION_CATALOG": "destination_catalog",
}

# The payload field each trace type must carry.
PAYLOAD_OF_TRACE_TYPE = {
    "ERROR": "error",
    "ESTIMATE": "estimate",
    "STREAM_STATUS": "stream_status",
    "ANALYTICS": "analytics",
}


class UsageError(Exception):
    """A problem with the arguments or the files they name (exit status 2)."""


def repo_root():
    # tests/airbyte/validate_messages.py; resolve() follows Bazel's runfiles symlinks.
    return pathlib.Path(__file__).resolve().parents[2]


def default_protocol_path():
    airbyte_dir = os.environ.get("TSDB_AIRBYTE_DIR")
    if airbyte_dir:
        return pathlib.Path(airbyte_dir) / "airbyte_protocol.yaml"
    return repo_root().parent / "shared" / "airbyte" / "airbyte_protocol.yaml"


def load_yaml(path):
    try:
        with open(path, "r", encoding="utf-8") as f:
            return yaml.safe_load(f)
    except (OSError, yaml.YAMLError) as e:
        raise UsageError(f"cannot read {path}: {e}") from e


def definition_schema(protocol, name):
    """A schema for definitions[name] whose root is the whole protocol's definitions.

    "$ref": "#/definitions/..." inside the definitions resolve against this root, on both
    jsonschema 4.10 (RefResolver) and newer (referencing). No "$id": refs stay local.
    """
    if name not in protocol.get("definitions", {}):
        raise UsageError(f"the protocol has no definitions.{name}")
    return {"$schema": DRAFT7, "definitions": protocol["definitions"],
            "$ref": f"#/definitions/{name}"}


def _anchored(pattern):
    # JSON Schema patterns are ECMA-262: "$" ends the string. Python's "$" also matches
    # before a final newline, so it becomes "\Z".
    if pattern.endswith("$") and not pattern.endswith("\\$"):
        pattern = pattern[:-1] + r"\Z"
    return pattern


class WellKnownTypes:
    """The patterns of well_known_types.yaml, compiled (ASCII digits only)."""

    NAMES = ("Date", "TimestampWithTimezone", "TimestampWithoutTimezone",
             "TimeWithTimezone", "TimeWithoutTimezone")

    def __init__(self, document):
        definitions = (document or {}).get("definitions", {})
        self.patterns = {}
        for name in self.NAMES:
            pattern = definitions.get(name, {}).get("pattern")
            if not pattern:
                raise UsageError(f"well-known types have no pattern for {name}")
            self.patterns[name] = re.compile(_anchored(pattern), re.ASCII)

    def matches(self, name, value):
        return self.patterns[name].search(value) is not None

    def format_checker(self):
        """A FormatChecker for date, date-time and time only (the library's own checkers
        for these may be missing, and would reject the " BC" suffix)."""
        checker = jsonschema.FormatChecker(formats=())

        def check(*names):
            def fn(value):
                if not isinstance(value, str):
                    return True
                return any(self.matches(n, value) for n in names)
            return fn

        checker.checks("date")(check("Date"))
        checker.checks("date-time")(check("TimestampWithTimezone", "TimestampWithoutTimezone"))
        checker.checks("time")(check("TimeWithTimezone", "TimeWithoutTimezone"))
        return checker

    def airbyte_type_keyword(self):
        by_airbyte_type = {
            "timestamp_with_timezone": "TimestampWithTimezone",
            "timestamp_without_timezone": "TimestampWithoutTimezone",
            "time_with_timezone": "TimeWithTimezone",
            "time_without_timezone": "TimeWithoutTimezone",
            "date": "Date",
        }

        def airbyte_type(validator, value, instance, schema):
            name = by_airbyte_type.get(value)
            if name is not None and isinstance(instance, str):
                if not self.matches(name, instance):
                    yield jsonschema.ValidationError(
                        f"{instance!r} does not match the {name} pattern "
                        f"(airbyte_type {value})")
            elif value == "integer" and isinstance(instance, float):
                if not instance.is_integer():
                    yield jsonschema.ValidationError(
                        f"{instance!r} is not an integer (airbyte_type integer)")
        return airbyte_type


class Catalog:
    """Stream json_schemas of a catalog, keyed by (namespace, name)."""

    def __init__(self, document, protocol, well_known):
        if isinstance(document, dict) and document.get("type") == "CATALOG":
            document = document.get("catalog")
        if not isinstance(document, dict) or not isinstance(document.get("streams"), list):
            raise UsageError("the catalog is not an AirbyteCatalog, ConfiguredAirbyteCatalog "
                             "or CATALOG message")
        streams = document["streams"]
        configured = any(isinstance(s, dict) and "stream" in s for s in streams)
        kind = "ConfiguredAirbyteCatalog" if configured else "AirbyteCatalog"
        errors = sorted(jsonschema.Draft7Validator(definition_schema(protocol, kind))
                        .iter_errors(document), key=lambda e: list(e.absolute_path))
        if errors:
            raise UsageError(f"the catalog is not a valid {kind}: " +
                             "; ".join(_describe(e) for e in errors[:5]))
        validator_class = jsonschema.validators.extend(
            jsonschema.Draft7Validator, {"airbyte_type": well_known.airbyte_type_keyword()})
        checker = well_known.format_checker()
        self.validators = {}
        for entry in streams:
            stream = entry["stream"] if configured else entry
            schema = stream["json_schema"]
            try:
                jsonschema.Draft7Validator.check_schema(schema)
            except jsonschema.SchemaError as e:
                raise UsageError(f"json_schema of stream {stream['name']!r} is not a valid "
                                 f"draft-07 schema: {e.message}") from e
            key = (stream.get("namespace"), stream["name"])
            if key in self.validators:
                raise UsageError(f"the catalog lists stream {key} twice")
            self.validators[key] = validator_class(schema, format_checker=checker)

    def validator_for(self, record):
        key = (record.get("namespace"), record.get("stream"))
        if key in self.validators:
            return self.validators[key]
        if record.get("namespace") is None:
            matches = [v for (_, name), v in self.validators.items()
                       if name == record.get("stream")]
            if len(matches) == 1:
                return matches[0]
        return None


def _describe(error):
    path = "/".join(str(p) for p in error.absolute_path)
    return f"{path or '(root)'}: {error.message}"


def _reject_constant(name):
    raise ValueError(f"{name} is not valid JSON")


def _no_duplicate_keys(pairs):
    result = {}
    for key, value in pairs:
        if key in result:
            raise ValueError(f"duplicate key {key!r}")
        result[key] = value
    return result


def parse_line(raw):
    """Returns (object, None) or (None, error) for one line of bytes (without '\\n')."""
    if not raw.strip():
        return None, "empty line (stdout must hold only messages)"
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as e:
        return None, f"not UTF-8: {e}"
    try:
        value = json.loads(text, parse_constant=_reject_constant,
                           object_pairs_hook=_no_duplicate_keys)
    except ValueError as e:
        shown = text if len(text) <= 80 else text[:77] + "..."
        return None, f"not one JSON value ({e}): {shown!r}"
    if not isinstance(value, dict):
        return None, f"a JSON {type(value).__name__}, not an object"
    return value, None


class Validator:
    def __init__(self, protocol, catalog=None):
        self.message_validator = jsonschema.Draft7Validator(
            definition_schema(protocol, "AirbyteMessage"))
        self.catalog = catalog

    def errors(self, message):
        """All problems of one parsed message, as strings."""
        found = [_describe(e) for e in sorted(self.message_validator.iter_errors(message),
                                              key=lambda e: list(e.absolute_path))]
        if found:
            return found
        kind = message["type"]
        payload = PAYLOAD_OF_TYPE[kind]
        if payload not in message:
            return [f"a {kind} message without {payload!r}"]
        if kind == "TRACE":
            trace_payload = PAYLOAD_OF_TRACE_TYPE[message["trace"]["type"]]
            if trace_payload not in message["trace"]:
                return [f"a TRACE {message['trace']['type']} without trace.{trace_payload}"]
        if kind == "RECORD" and self.catalog is not None:
            record = message["record"]
            validator = self.catalog.validator_for(record)
            if validator is None:
                return [f"record of stream {record.get('namespace')!r}.{record['stream']!r}, "
                        "which is not in the catalog"]
            for e in sorted(validator.iter_errors(record["data"]),
                            key=lambda e: list(e.absolute_path)):
                found.append("record/data/" + _describe(e))
        return found

    def validate_stream(self, lines, report, max_errors):
        """Validates an iterable of byte lines; returns (total, invalid, counts by type)."""
        total = invalid = printed = 0
        counts = collections.Counter()
        for number, raw in enumerate(lines, start=1):
            total += 1
            message, error = parse_line(raw)
            problems = [error] if error else self.errors(message)
            if problems:
                invalid += 1
                for problem in problems:
                    if printed < max_errors:
                        report(f"line {number}: {problem}")
                    printed += 1
            else:
                counts[message["type"]] += 1
        if printed > max_errors:
            report(f"... {printed - max_errors} more errors not shown")
        return total, invalid, counts


def split_lines(data):
    """Lines of `data` (bytes); a final newline does not start another line."""
    lines = data.split(b"\n")
    if lines and lines[-1] == b"":
        lines.pop()
    return lines


def summary(total, invalid, counts):
    if invalid:
        return f"{invalid} of {total} messages invalid"
    by_type = ", ".join(f"{t} {n}" for t, n in sorted(counts.items()))
    return f"{total} messages valid" + (f" ({by_type})" if by_type else "")


def main(argv=None, stdin=None, stdout=None):
    stdin = stdin if stdin is not None else sys.stdin.buffer
    stdout = stdout if stdout is not None else sys.stdout
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("input", nargs="?", default="-", help="JSON lines file, - for stdin")
    parser.add_argument("--protocol", type=pathlib.Path, default=None,
                        help="airbyte_protocol.yaml (default: $TSDB_AIRBYTE_DIR/"
                             "airbyte_protocol.yaml, else ../shared/airbyte/ beside the repo)")
    parser.add_argument("--well-known-types", type=pathlib.Path, default=None,
                        help="well_known_types.yaml (default: beside the protocol)")
    parser.add_argument("--catalog", type=pathlib.Path, default=None,
                        help="AirbyteCatalog or ConfiguredAirbyteCatalog JSON: validate "
                             "each RECORD's data against its stream's json_schema")
    parser.add_argument("--max-errors", type=int, default=200,
                        help="print at most this many errors (default 200)")
    args = parser.parse_args(argv)

    def report(line):
        print(line, file=stdout)

    try:
        protocol_path = args.protocol or default_protocol_path()
        protocol = load_yaml(protocol_path)
        if not isinstance(protocol, dict):
            raise UsageError(f"{protocol_path} is not a schema document")
        well_known = WellKnownTypes(
            load_yaml(args.well_known_types or protocol_path.parent / "well_known_types.yaml"))
        catalog = None
        if args.catalog is not None:
            try:
                catalog_document = json.loads(args.catalog.read_text(encoding="utf-8"))
            except (OSError, ValueError) as e:
                raise UsageError(f"cannot read the catalog {args.catalog}: {e}") from e
            catalog = Catalog(catalog_document, protocol, well_known)
        validator = Validator(protocol, catalog)
        try:
            if args.input == "-":
                data = stdin.read()
            else:
                data = pathlib.Path(args.input).read_bytes()
        except OSError as e:
            raise UsageError(f"cannot read {args.input}: {e}") from e
    except UsageError as e:
        report(f"error: {e}")
        return 2

    total, invalid, counts = validator.validate_stream(split_lines(data), report,
                                                       args.max_errors)
    report(summary(total, invalid, counts))
    return 1 if invalid else 0


if __name__ == "__main__":
    sys.exit(main())
