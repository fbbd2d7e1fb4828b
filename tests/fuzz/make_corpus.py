#!/usr/bin/env python3
"""Writes the seed corpora of the fuzz targets into tests/fuzz/corpus/<target>/.

  copy/      binary COPY output captured from PostgreSQL 15 (tests/pg/copy/pg15_fixtures.h),
             each behind the column-type prefix copy_fuzz.cc reads (column count, server
             version, one type byte per column)
  pgoutput/  pgoutput message sequences captured from PostgreSQL 15
             (tests/cdc/pgoutput_fixtures.h), each message behind its 2-byte length
  config/, catalog/, state/  Airbyte JSON files: valid ones of every shape the parsers know,
             and a few broken ones

Seeds are regenerated from the fixtures, so rerun this after recapturing them. Files of
crashes found and fixed (named crash-*) are kept: they are regression inputs.
Usage: tests/fuzz/make_corpus.py
"""
import json
import os
import re
import shutil

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
CORPUS = os.path.join(HERE, "corpus")

# Must match kTypeOids and kServerVersions in copy_fuzz.cc.
TYPE_OIDS = [
    16, 17, 18, 19, 20, 21, 23, 25, 26, 114, 142, 650, 700, 701, 774, 829, 869, 1042, 1043,
    1082, 1083, 1114, 1184, 1186, 1266, 1700, 2950, 3802,
    1000, 1001, 1002, 1003, 1016, 1005, 1007, 1009, 1028, 199, 143, 651, 1021, 1022, 775,
    1040, 1041, 1014, 1015, 1182, 1183, 1115, 1185, 1187, 1270, 1231, 2951, 3807,
    600,
]
SERVER_VERSIONS = [0, 150000, 160000, 170000]

# The column types of each fixture's query (see the SQL above each constant).
COPY_COLUMNS = {
    "kEmpty": [23],
    "kZeroColumns": [],
    "kTwoColumns": [23, 25],
    "kIntegers": [16, 21, 23, 20, 26],
    "kFloats": [700, 701],
    "kNumerics": [1700, 25],
    "kNumericExtremes": [1700, 23, 25, 25],
    "kTimestamps": [1114, 20, 1184, 20],
    "kTimestampAfterInt64": [1114],
    "kDates": [1082, 23],
    "kTimes": [1083, 20],
    "kTimetzs": [1266, 25],
    "kIntervals": [1186, 25],
    "kUuids": [2950, 25],
    "kInets": [869, 25],
    "kCidrs": [650, 25],
    "kMacaddrs": [829, 25, 774, 25],
    "kTexts": [25, 1043, 1042, 19, 18, 142, 17, 114, 3802, 25],
    "kInt4Arrays": [1007, 25],
    "kMultiDimArrays": [1007, 25],
    "kThreeDimTextArray": [1009],
    "kMixedDimArrays": [1007],
    "kArraysOfEveryType": [1000, 1005, 1007, 1016, 1028, 1021, 1022, 1231, 1009, 1015, 1014,
                           1003, 1002, 143, 1182, 1115, 1185, 1183, 1270, 1187, 2951, 199,
                           3807, 1001, 1041, 651, 1040, 775],
    "kMixedBatch": [20, 16, 701, 1700, 25, 1184, 1007],
}


def snake(name):
    """kMixedBatch -> mixed_batch"""
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name[1:]).lower()


def constants(path):
    """name -> body text of each `inline constexpr ... kName[] = ...;` in a header."""
    text = open(os.path.join(ROOT, path)).read()
    return dict(re.findall(r"inline constexpr \w+ (k\w+)\[\] =(.*?);\n", text, re.S))


def hex_strings(text):
    return bytes.fromhex("".join(re.findall(r'"([0-9a-f]*)"', text)))


def reset(target):
    directory = os.path.join(CORPUS, target)
    os.makedirs(directory, exist_ok=True)
    for name in os.listdir(directory):
        if not name.startswith("crash-"):
            os.remove(os.path.join(directory, name))
    return directory


def write(directory, name, data):
    if isinstance(data, str):
        data = data.encode()
    with open(os.path.join(directory, name), "wb") as f:
        f.write(data)


def copy_seeds():
    directory = reset("copy")
    fixtures = constants("tests/pg/copy/pg15_fixtures.h")
    missing = set(fixtures) ^ set(COPY_COLUMNS)
    if missing:
        raise SystemExit(f"make_corpus.py: COPY_COLUMNS and the fixtures differ: {missing}")
    for name, body in sorted(fixtures.items()):
        columns = COPY_COLUMNS[name]
        stream = hex_strings(body)
        versions = [0, 170000, 150000] if 1186 in columns or 1187 in columns else [0]
        for version in versions:
            prefix = bytes([len(columns), SERVER_VERSIONS.index(version)])
            prefix += bytes(TYPE_OIDS.index(oid) for oid in columns)
            suffix = "" if version == 0 else f"_pg{version // 10000}"
            write(directory, snake(name) + suffix, prefix + stream)


def pgoutput_seeds():
    directory = reset("pgoutput")
    for name, body in sorted(constants("tests/cdc/pgoutput_fixtures.h").items()):
        messages = [hex_strings(entry) for entry in
                    re.findall(r'\{"[^"]*",\s*\d+,\s*((?:"[0-9a-f]*"\s*)+)\}', body)]
        if not messages:
            raise SystemExit(f"make_corpus.py: no messages in {name}")
        framed = b"".join(len(m).to_bytes(2, "big") + m for m in messages)
        write(directory, snake(name), framed)


def json_seeds():
    configs = {
        "minimal.json": {"host": "localhost", "database": "metrics", "username": "reader"},
        "full.json": {
            "host": "db.example.com", "port": 5432, "database": "metrics",
            "username": "reader", "password": "secret", "schemas": ["public", "Odd \"Schema\""],
            "ssl_mode": {"mode": "verify-full", "ca_certificate": "-----BEGIN CERTIFICATE-----",
                         "client_certificate": "cert", "client_key": "key",
                         "client_key_password": "kp"},
            "replication_method": {"method": "CDC", "replication_slot": "slot",
                                   "publication": "pub", "initial_waiting_seconds": 300,
                                   "invalid_cdc_cursor_position_behavior": "Fail sync"},
            "timescaledb_support": True, "timescaledb_chunk_discovery_interval_minutes": 5,
            "timescaledb_max_concurrent_chunks": 4, "timescaledb_enable_chunk_caching": False,
            "connect_timeout_seconds": 10},
        "camel_case.json": {"host": "h", "database": "d", "username": "u",
                            "sslMode": {"mode": "disable"},
                            "replicationMethod": {"method": "Standard"},
                            "timescaledbMaxConcurrentChunks": 10},
        "unknown_keys.json": {"host": "h", "database": "d", "username": "u", "extra": [1, {}],
                              "ssl_mode": {"mode": "prefer", "other": None}},
        "wrong_types.json": {"host": 1, "port": "5432", "schemas": "public",
                             "timescaledb_support": "yes", "password": "s3cret"},
        "huge_numbers.json": {"host": "h", "port": 1e300, "connect_timeout_seconds": 2**63},
        # A config of Airbyte's Postgres source, every key of its spec (README, Configuration).
        "source_postgres.json": {
            "host": "h", "port": 5432, "database": "d", "username": "u", "password": "pw",
            "schemas": [], "ssl": True, "ssl_mode": {"mode": "require"},
            "jdbc_url_params": "ApplicationName=a%20b&connectTimeout=30&sslpassword=x%26y&"
                               "targetServerType=primary&options=-c+statement_timeout%3D5&bad",
            "tunnel_method": {"tunnel_method": "NO_TUNNEL"},
            "replication_method": {"method": "CDC", "plugin": "pgoutput", "replication_slot": "s",
                                   "publication": "p", "initial_waiting_seconds": 1200,
                                   "queue_size": 10000,
                                   "lsn_commit_behaviour": "After loading Data in the destination",
                                   "heartbeat_action_query": "",
                                   "invalid_cdc_cursor_position_behavior": "Fail sync",
                                   "initial_load_timeout_hours": 8,
                                   "debezium_shutdown_timeout_seconds": 60},
            "entra_service_principal_auth": False, "entra_tenant_id": "t", "entra_client_id": "c",
            "check_privileges": True, "checkpoint_target_interval_seconds": 300,
            "max_db_connections": 4},
    }
    catalogs = {
        "full_refresh.json": {"streams": [{
            "stream": {"name": "metrics", "namespace": "public",
                       "json_schema": {"type": "object", "properties": {
                           "time": {"type": "string", "format": "date-time"}}},
                       "supported_sync_modes": ["full_refresh", "incremental"]},
            "sync_mode": "full_refresh", "destination_sync_mode": "overwrite"}]},
        "incremental.json": {"streams": [
            {"stream": {"name": "metrics", "namespace": "public"}, "sync_mode": "incremental",
             "cursor_field": ["time"], "primary_key": [["time"], ["device"]],
             "destination_sync_mode": "append_dedup"},
            {"stream": {"name": "Odd \"Name\"", "namespace": "s p"}, "sync_mode": "full_refresh",
             "destination_sync_mode": "append"},
            {"stream": {"name": "t", "namespace": None}, "sync_mode": "incremental",
             "destination_sync_mode": "overwrite_dedup", "primary_key": []}]},
        "bad_sync_mode.json": {"streams": [{"stream": {"name": "t"}, "sync_mode": "cdc"}]},
        "nested_key.json": {"streams": [{"stream": {"name": "t"}, "sync_mode": "incremental",
                                         "primary_key": [["a", "b"]], "cursor_field": [1]}]},
    }
    stream_state = {
        "version": 1, "stream": {"name": "metrics", "namespace": "public"},
        "sync_mode": "SYNC_MODE_INCREMENTAL", "cursor_field": ["time"],
        "cursor": {"kind": "VALUE_KIND_TIMESTAMPTZ", "int64_value": "1714564800000000"},
        "chunks": {"watermark": {"range_start": "1714521600000000", "chunk": "_hyper_1_3_chunk"},
                   "done": ["_hyper_1_5_chunk"],
                   "in_flight": [{"chunk": "_hyper_1_4_chunk", "rows_at_key": "2",
                                  "last_key": [{"kind": "VALUE_KIND_TIMESTAMPTZ",
                                                "int64_value": "1714600000000000"}]}]},
        "last_primary_key": [{"kind": "VALUE_KIND_TEXT", "text_value": "a"},
                             {"kind": "VALUE_KIND_DOUBLE", "double_value": 1.5},
                             {"kind": "VALUE_KIND_BYTES", "bytes_value": "AAE="},
                             {"kind": "VALUE_KIND_BOOL", "bool_value": True}],
        "completed": False}
    descriptor = {"name": "metrics", "namespace": "public"}

    def stream_message(state, desc=descriptor):
        return {"type": "STREAM", "stream": {"stream_descriptor": desc, "stream_state": state}}

    states = {
        "streams.json": [stream_message(stream_state),
                         stream_message({"version": 1, "completed": True},
                                        {"name": "other"})],
        "single_message.json": stream_message(stream_state),
        "camel_case.json": [stream_message({"version": 1, "syncMode": "SYNC_MODE_FULL_REFRESH",
                                            "lastPrimaryKey": [{"int64Value": "-5"}]})],
        "legacy.json": {"type": "LEGACY", "data": {"cdc": False, "streams": [
            dict(stream_state, stream_name="metrics", stream_namespace="public")]}},
        "legacy_blob.json": {"streams": [{"stream_name": "t", "stream_namespace": "public",
                                          "cursor_field": ["id"], "cursor": "5",
                                          "cursor_record_count": 1}]},
        "airbyte_postgres.json": [
            stream_message({"state_type": "cursor_based", "version": 2, "cursor": "2024-01-01",
                            "cursor_field": ["updated_at"], "cursor_record_count": 3}),
            stream_message({"state_type": "ctid", "ctid": "(0,1)", "relation_filenode": 1},
                           {"name": "b", "namespace": "public"}),
            stream_message({"xmin_txid": 77, "num_wraparound": 0},
                           {"name": "c", "namespace": "public"}),
            stream_message({"cursor": 12.5}, {"name": "d"})],
        "global.json": [{"type": "GLOBAL", "global": {"shared_state": {"lsn": 1},
                                                      "stream_states": []}}],
        "other_stream.json": [stream_message(stream_state, {"name": "else", "namespace": "x"})],
        "null.json": None,
        "empty_object.json": {},
        "empty_array.json": [],
        "no_version.json": [stream_message({"completed": True})],
    }
    for target, seeds in (("config", configs), ("catalog", catalogs), ("state", states)):
        directory = reset(target)
        for name, value in seeds.items():
            write(directory, name, json.dumps(value, indent=1) + "\n")
    # Broken JSON, the same for all three parsers.
    broken = {
        "truncated.json": '{"host": "h", "streams": [{"stream": {"na',
        "deep.json": "[" * 70 + "]" * 70,
        "bad_utf8.json": b'{"host": "\xc3\x28"}',
        "bad_escape.json": '{"host": "\\ud800 \\x"}',
        "big_number.json": '{"port": 1e999, "version": -1e999}',
        "trailing.json": '{"streams": []} {}',
    }
    for target in ("config", "catalog", "state"):
        for name, text in broken.items():
            write(os.path.join(CORPUS, target), name, text)


def main():
    copy_seeds()
    pgoutput_seeds()
    json_seeds()
    for target in sorted(os.listdir(CORPUS)):
        files = os.listdir(os.path.join(CORPUS, target))
        size = sum(os.path.getsize(os.path.join(CORPUS, target, f)) for f in files)
        print(f"{target}: {len(files)} files, {size} bytes")


if __name__ == "__main__":
    main()
