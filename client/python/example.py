#!/usr/bin/env python3
"""Calls tsdb_source.v1.SourceService from Python: Discover, then stream one hypertable,
printing its rows and checkpoints.

    tools/gen-clients python          # stubs into gen/python (Debian protoc + grpc_python_plugin)
    PYTHONPATH=gen/python python3 client/python/example.py --config config.json \
        [--server 127.0.0.1:50051] [--stream public.metrics] [--token-file token]
        [--tls [--ca-file ca.pem] [--cert-file c.pem --key-file c.key]] [--state state.json]

The config is the Airbyte config JSON (the keys of SourceConfig). Without --stream the first
hypertable found is read (or the first stream when there is none). Output, one line each:
    stream <name> <kind>                   per discovered stream
    columns <name>:<type> ...              before the first rows
    row {"col": value, ...}                every row (at most --max-rows)
    checkpoint <records_total> <state>     a resumable position (state as JSON)
    summary <figures>                      at the end of the stream
    error <CODE> <reason> <message>        when the call fails (exit status 1)
Needs python3-grpcio and python3-protobuf.
"""
import argparse
import base64
import datetime
import json
import os
import sys

# The stubs of tools/gen-clients, when PYTHONPATH does not name them.
sys.path.append(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "gen", "python"))

try:
    import grpc
    from google.protobuf import json_format
    from tsdb_source.v1 import catalog_pb2, config_pb2, source_service_pb2, source_service_pb2_grpc
except ImportError as e:  # pragma: no cover - a setup problem, said plainly
    sys.exit("example.py: %s\nrun tools/gen-clients python and set PYTHONPATH=gen/python "
             "(and install python3-grpcio, python3-protobuf)" % e)

EPOCH = datetime.datetime(1970, 1, 1, tzinfo=datetime.timezone.utc)
INT64_MAX, INT64_MIN = 2**63 - 1, -2**63
INT32_MAX, INT32_MIN = 2**31 - 1, -2**31
K = catalog_pb2  # ValueKind constants


def leaf_value(kind, v):
    """A JSON-friendly form of one non-null value of `kind`."""
    if kind in (K.VALUE_KIND_TIMESTAMP, K.VALUE_KIND_TIMESTAMPTZ):
        if v in (INT64_MAX, INT64_MIN):
            return "infinity" if v == INT64_MAX else "-infinity"
        t = EPOCH + datetime.timedelta(microseconds=v)
        return t.isoformat() if kind == K.VALUE_KIND_TIMESTAMPTZ else t.replace(tzinfo=None).isoformat()
    if kind == K.VALUE_KIND_DATE:
        if v in (INT32_MAX, INT32_MIN):
            return "infinity" if v == INT32_MAX else "-infinity"
        return (EPOCH + datetime.timedelta(days=v)).date().isoformat()
    if kind == K.VALUE_KIND_TIME:
        seconds, micros = divmod(v, 1000000)
        return "%02d:%02d:%02d.%06d" % (seconds // 3600, seconds // 60 % 60, seconds % 60, micros)
    if kind == K.VALUE_KIND_BYTES:
        return base64.b64encode(v).decode()
    if isinstance(v, bytes):
        return v.decode("utf-8", "replace")
    return v


def column_values(values, leaf_kind, count):
    """The `count` values of a ColumnValues (lists for arrays, None for NULL)."""
    which = values.WhichOneof("values")
    if which == "lists":
        lengths = list(values.lists.lengths)
        elements = column_values(values.lists.elements, leaf_kind, sum(lengths))
        raw, at = [], 0
        for n in lengths:
            raw.append(elements[at:at + n])
            at += n
    elif which is None:
        raw = [None] * count
    else:
        raw = [leaf_value(leaf_kind, v) for v in getattr(values, which).values]
    nulls = values.null_bitmap
    return [None if nulls and (nulls[i // 8] >> (i % 8)) & 1 else raw[i] for i in range(count)]


def rows_of(batch, columns):
    """The rows of a RecordBatch as dicts, in StreamStart column order."""
    decoded = []
    for column, values in zip(columns, batch.columns):
        leaf = column.element_kind if column.kind == K.VALUE_KIND_ARRAY else column.kind
        decoded.append(column_values(values, leaf, batch.row_count))
    names = [c.name for c in columns]
    return [dict(zip(names, row)) for row in zip(*decoded)] if decoded else []


def channel_for(args):
    if not args.tls:
        return grpc.insecure_channel(args.server)
    def read(path):
        with open(path, "rb") as f:
            return f.read()
    credentials = grpc.ssl_channel_credentials(
        root_certificates=read(args.ca_file) if args.ca_file else None,
        private_key=read(args.key_file) if args.key_file else None,
        certificate_chain=read(args.cert_file) if args.cert_file else None)
    return grpc.secure_channel(args.server, credentials)


def report_error(error):
    reason = dict(error.trailing_metadata() or ()).get("tsdb-source-reason", "-")
    print("error %s %s %s" % (error.code().name, reason, error.details()), flush=True)
    return 1


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--server", default="127.0.0.1:50051")
    parser.add_argument("--config", required=True, help="Airbyte config JSON file")
    parser.add_argument("--stream", help="namespace.name to read (default: the first hypertable)")
    parser.add_argument("--state", help="JSON list of StreamState to resume from")
    parser.add_argument("--token-file", help="bearer token file (the server's --token_file)")
    parser.add_argument("--tls", action="store_true", help="connect with TLS")
    parser.add_argument("--ca-file", help="PEM roots for TLS (default: system roots)")
    parser.add_argument("--cert-file", help="client certificate for mutual TLS")
    parser.add_argument("--key-file", help="client key for mutual TLS")
    parser.add_argument("--max-rows", type=int, default=-1, help="print at most this many rows")
    parser.add_argument("--timeout", type=float, help="deadline of each call, in seconds")
    args = parser.parse_args()

    with open(args.config) as f:
        config = json_format.Parse(f.read(), config_pb2.SourceConfig(), ignore_unknown_fields=True)
    metadata = []
    if args.token_file:
        with open(args.token_file) as f:
            metadata.append(("authorization", "Bearer " + f.read().strip()))

    with channel_for(args) as channel:
        stub = source_service_pb2_grpc.SourceServiceStub(channel)
        try:
            catalog = stub.Discover(source_service_pb2.DiscoverRequest(config=config),
                                    metadata=metadata, timeout=args.timeout).catalog
        except grpc.RpcError as e:
            return report_error(e)
        for s in catalog.streams:
            print("stream %s.%s %s" % (s.stream.namespace, s.stream.name,
                                       K.RelationKind.Name(s.kind)), flush=True)
        chosen = [s for s in catalog.streams if "%s.%s" % (s.stream.namespace, s.stream.name) == args.stream] \
            if args.stream else \
            [s for s in catalog.streams if s.kind == K.RELATION_KIND_HYPERTABLE][:1] or list(catalog.streams[:1])
        if not chosen:
            print("error NOT_FOUND - no stream %s" % (args.stream or "at all"), flush=True)
            return 1
        stream = chosen[0]

        request = source_service_pb2.ReadRequest(config=config)
        request.catalog.streams.add(stream=stream.stream, sync_mode=K.SYNC_MODE_FULL_REFRESH,
                                    destination_sync_mode=K.DESTINATION_SYNC_MODE_OVERWRITE)
        if args.state:
            with open(args.state) as f:
                for state in json.load(f):
                    json_format.ParseDict(state, request.state.add())
        columns, printed = [], 0
        call = stub.Read(request, metadata=metadata, timeout=args.timeout)
        try:
            for response in call:
                event = response.WhichOneof("event")
                if event == "stream_start":
                    columns = list(response.stream_start.columns)
                    print("columns " + " ".join("%s:%s" % (c.name, c.pg_type) for c in columns), flush=True)
                elif event == "records":
                    for row in rows_of(response.records, columns):
                        if args.max_rows < 0 or printed < args.max_rows:
                            print("row " + json.dumps(row, default=str), flush=True)
                            printed += 1
                elif event == "checkpoint":
                    c = response.checkpoint
                    state = json_format.MessageToDict(c.state, preserving_proto_field_name=True)
                    print("checkpoint %d %s" % (c.records_total, json.dumps(state, sort_keys=True)), flush=True)
                elif event == "summary":
                    s = response.summary
                    print("summary chunks_read=%d chunks_skipped=%d rows=%d bytes=%d seconds=%.3f retries=%d"
                          % (s.chunks_read, s.chunks_skipped, s.rows, s.bytes, s.seconds, s.retries), flush=True)
                elif event == "log":
                    print("log %s %s" % (source_service_pb2.LogLevel.Name(response.log.level),
                                         response.log.message), flush=True)
        except grpc.RpcError as e:
            return report_error(e)
    return 0


if __name__ == "__main__":
    sys.exit(main())
