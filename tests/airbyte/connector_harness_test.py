"""Self-test of connector_harness: the checks every acceptance and shim test relies on must
reject what they claim to reject. Synthetic connector outputs; no database, no connector."""
import json
import unittest

import connector_harness as h

CATALOG = {"streams": [{
    "stream": {"name": "s", "namespace": "n", "supported_sync_modes": ["full_refresh"],
               "json_schema": {"type": "object", "properties": {
                   "id": {"type": "integer"},
                   "at": {"type": ["string", "null"], "format": "date-time",
                          "airbyte_type": "timestamp_with_timezone"}}}},
    "sync_mode": "full_refresh", "destination_sync_mode": "overwrite"}]}
DESCRIPTOR = {"name": "s", "namespace": "n"}


def status(kind):
    return {"type": "TRACE", "trace": {"type": "STREAM_STATUS", "emitted_at": 1, "stream_status": {
        "stream_descriptor": DESCRIPTOR, "status": kind}}}


def record(**data):
    return {"type": "RECORD", "record": {"stream": "s", "namespace": "n", "emitted_at": 2,
                                         "data": data}}


def state(count):
    return {"type": "STATE", "state": {"type": "STREAM", "stream": {
        "stream_descriptor": DESCRIPTOR, "stream_state": {"version": 1}},
        "sourceStats": {"recordCount": count}}}


ERROR = {"type": "TRACE", "trace": {"type": "ERROR", "emitted_at": 3, "error": {
    "message": "m", "internal_message": "i", "failure_type": "system_error"}}}

GOOD = [status("STARTED"), status("RUNNING"), record(id=1, at="2024-01-01T00:00:00+00:00"),
        record(id=2, at=None), state(2.0), state(0), status("COMPLETE")]


def encode(messages):
    return b"".join(json.dumps(m).encode() + b"\n" for m in messages)


class HarnessChecks(unittest.TestCase):
    def check(self, stdout, rc=0, catalog=CATALOG, input_error=None):
        h.Shim._check_lines(["tsdb-source", "read"], stdout, "", catalog)
        h.check_run(h.Output(["read"], rc, stdout, ""), input_error)

    def rejects(self, stdout, fragment, **kwargs):
        with self.assertRaises(AssertionError) as caught:
            self.check(stdout, **kwargs)
        self.assertIn(fragment, str(caught.exception))

    def test_a_valid_read_passes(self):
        self.check(encode(GOOD))
        self.check(encode(GOOD[:3] + [ERROR]), rc=1)

    def test_lines(self):
        self.rejects(encode(GOOD)[:-1], "does not end with a newline")
        self.rejects(encode(GOOD) + b"\n", "empty line")
        self.rejects(b"hello\n" + encode(GOOD), "not one JSON value")
        self.rejects(encode(GOOD).replace(b'"RUNNING"', b'"DONE"'), "invalid Airbyte output")

    def test_records_against_the_catalog(self):
        self.rejects(encode([status("STARTED"), record(id="1", at=None)]), "is not of type")
        self.rejects(encode([status("STARTED"), record(id=1, at="2024-01-01 00:00:00")]),
                     "date-time")
        self.rejects(encode([status("STARTED"), record(id=1, at="2024-01-01T00:00:00")]),
                     "TimestampWithTimezone")

    def test_exit_code_and_trace_errors(self):
        self.rejects(encode(GOOD), "exactly one TRACE ERROR", rc=1)
        self.rejects(encode(GOOD + [ERROR, ERROR]), "exactly one TRACE ERROR", rc=1)
        self.rejects(encode([ERROR] + GOOD), "must be the last message", rc=1)
        self.rejects(encode(GOOD + [ERROR]), "TRACE ERROR in a successful run", rc=0)
        self.rejects(encode(GOOD + [ERROR]), "RECORDs before an input error", rc=1,
                     input_error=True)
        self.rejects(encode(GOOD), "exit code must be 0 or 1", rc=2)

    def test_record_counts_and_statuses(self):
        self.rejects(encode(GOOD[:3] + [state(2)]), "recordCount 2, 1 RECORDs")
        self.rejects(encode([record(id=1, at=None)]), "while its status is None")
        self.rejects(encode(GOOD + [record(id=3, at=None)]), "while its status is COMPLETE")


if __name__ == "__main__":
    unittest.main(verbosity=2)
