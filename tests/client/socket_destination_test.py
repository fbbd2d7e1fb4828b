"""The test destination of tests/client/socket_destination.py against a fake source: a Unix
socket this test listens on and writes to, byte by byte where framing could go wrong. JSONL
lines and probes, PROTOBUF frames (lengths of one and two varint bytes) and probes, the wire
decoding of a record (also of one python3-protobuf wrote), a frame cut short, connecting
before the source listens, and the simulated failures (never connect, close after K messages,
stop reading after K bytes). No database, no shim.
"""
import json
import os
import shutil
import socket
import struct
import sys
import tempfile
import threading
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import socket_destination as d  # noqa: E402


def field(number, wire_type, payload):
    key = d.encode_varint(number << 3 | wire_type)
    if wire_type == 2:
        return key + d.encode_varint(len(payload)) + payload
    return key + payload


def zigzag_varint(value):
    return d.encode_varint((value << 1) ^ (value >> 63))


class FakeSource:
    """Listens on `path` (like the shim), accepts one destination, writes to it."""

    def __init__(self, path, listen=True):
        self.path = path
        self.server = None
        self.conn = None
        if listen:
            self.listen()

    def listen(self):
        self.server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.server.bind(self.path)
        self.server.listen(1)

    def accept(self, timeout=10.0):
        self.server.settimeout(timeout)
        self.conn, _ = self.server.accept()
        self.server.close()
        return self.conn

    def send_in_pieces(self, data, piece=1):
        for i in range(0, len(data), piece):
            self.conn.sendall(data[i:i + piece])

    def end(self):
        self.conn.shutdown(socket.SHUT_WR)
        self.conn.close()

    def close(self):
        for s in (self.conn, self.server):
            if s is not None:
                s.close()


class DestinationTest(unittest.TestCase):
    def setUp(self):
        # Short: a Unix socket path holds at most 107 bytes.
        self.dir = tempfile.mkdtemp(prefix="dest-", dir="/tmp")
        self.sources = []

    def tearDown(self):
        for source in self.sources:
            source.close()
        shutil.rmtree(self.dir, ignore_errors=True)

    def source(self, name="s.sock", listen=True):
        source = FakeSource(os.path.join(self.dir, name), listen)
        self.sources.append(source)
        return source

    def test_jsonl_lines_split_anywhere_and_probes_counted(self):
        source = self.source()
        dest = d.SocketDestination([source.path], d.JSONL).start()
        source.accept()
        records = [{"type": "RECORD", "record": {"stream": "t", "data": {"i": i, "s": "é\n"},
                                                 "partition_id": "aB3x"}} for i in range(3)]
        stream = b"\n"  # a probe first
        for r in records:
            stream += json.dumps(r).encode() + b"\n" + b"\n"  # each followed by a probe
        source.send_in_pieces(stream, piece=1)
        source.end()
        [result] = dest.wait(10)
        self.assertIsNone(result.error)
        self.assertTrue(result.eof)
        self.assertEqual(result.messages, records)
        self.assertEqual(result.probes, 4)
        self.assertEqual(result.bytes, len(stream))

    def test_protobuf_frames_split_anywhere_and_probes_counted(self):
        source = self.source()
        dest = d.SocketDestination([source.path], d.PROTOBUF).start()
        source.accept()
        frames = [b"", b"\x0a\x00", bytes(range(256)) * 3, field(2, 2, b'{"type":"LOG"}')]
        stream = d.delimit(d.PROBE_FRAME)
        for frame in frames:
            stream += d.delimit(frame) + d.delimit(d.PROBE_FRAME)
        self.assertEqual(d.delimit(d.PROBE_FRAME), b"\x02\x1a\x00")
        self.assertEqual(d.encode_varint(768), b"\x80\x06")  # a two-byte length is in there
        source.send_in_pieces(stream, piece=1)
        source.end()
        [result] = dest.wait(10)
        self.assertIsNone(result.error)
        self.assertTrue(result.eof)
        self.assertEqual(result.messages, frames)
        self.assertEqual(result.probes, 5)

    def test_decode_frame_reads_a_record(self):
        value_int = field(3, 0, zigzag_varint(-3))
        value_null = field(13, 0, b"\x01")
        value_ts = field(10, 2, field(1, 0, zigzag_varint(1700000000))
                         + field(2, 0, d.encode_varint(5)))
        value_double = field(5, 1, struct.pack("<d", 2.5))
        value_json = field(12, 2, b"[1,2]")
        meta = field(1, 2, field(1, 2, b"x") + field(2, 0, b"\x00") + field(3, 0, b"\x06"))
        values = (value_int, value_null, value_ts, value_double, value_json)
        record = (field(1, 2, b"public") + field(2, 2, b"t")
                  + field(3, 0, d.encode_varint(1700000000000)) + field(4, 2, b"aB3x")
                  + b"".join(field(5, 2, v) for v in values) + field(6, 2, meta))
        message = d.decode_frame(field(1, 2, record))
        self.assertEqual(message, {"record": {
            "stream_namespace": "public", "stream_name": "t", "emitted_at_ms": 1700000000000,
            "partition_id": "aB3x",
            "data": [{"integer": -3}, {"is_null": True},
                     {"timestamp_with_timezone": {"epoch_second": 1700000000, "nano": 5}},
                     {"number": 2.5}, {"json": b"[1,2]"}],
            "meta": {"changes": [{"field": "x", "change": 0, "reason": 6}]}}})
        self.assertEqual(d.decode_frame(d.PROBE_FRAME), {"probe": True})
        self.assertEqual(d.decode_frame(field(2, 2, b'{"type":"STATE","state":{"id":1}}')),
                         {"protocol_message": {"type": "STATE", "state": {"id": 1}}})

    def test_a_frame_cut_short_is_an_error(self):
        source = self.source()
        dest = d.SocketDestination([source.path], d.PROTOBUF).start()
        source.accept()
        source.send_in_pieces(d.delimit(b"whole") + d.delimit(b"cut short")[:-3], piece=4)
        source.end()
        [result] = dest.wait(10)
        self.assertEqual(result.messages, [b"whole"])
        self.assertIn("ends inside a frame", result.error)

    def test_a_jsonl_line_that_is_not_json_is_an_error(self):
        source = self.source()
        dest = d.SocketDestination([source.path], d.JSONL).start()
        source.accept()
        source.send_in_pieces(b'{"a":1}\nnot json\n', piece=100)
        source.end()
        [result] = dest.wait(10)
        self.assertEqual(result.messages, [{"a": 1}])
        self.assertIsNotNone(result.error)

    def test_connects_once_the_source_listens(self):
        source = self.source(listen=False)
        dest = d.SocketDestination([source.path], d.JSONL, connect_timeout=30).start()
        deadline = time.monotonic() + 10
        while dest.connect_attempts[0] < 2 and time.monotonic() < deadline:
            time.sleep(0.005)
        self.assertGreaterEqual(dest.connect_attempts[0], 2, "no attempt before listening")
        source.listen()
        source.accept()
        source.send_in_pieces(b'{"late":true}\n', piece=100)
        source.end()
        [result] = dest.wait(10)
        self.assertEqual(result.messages, [{"late": True}])

    def test_a_source_that_never_listens_is_an_error_after_the_connect_timeout(self):
        path = os.path.join(self.dir, "never.sock")
        start = time.monotonic()
        [result] = d.SocketDestination([path], d.JSONL, connect_timeout=0.2).start().wait(10)
        self.assertFalse(result.connected)
        self.assertIn("did not listen within 0.2 s", result.error)
        self.assertLess(time.monotonic() - start, 5)

    def test_reads_several_sockets_at_once(self):
        # Socket 1 is written first and beyond what its kernel buffer holds: it must be read
        # while socket 0 still waits for its data.
        s0, s1 = self.source("a.sock"), self.source("b.sock")
        dest = d.SocketDestination([s0.path, s1.path], d.PROTOBUF).start()
        s0.accept()
        s1.accept()
        frames1 = [bytes([i % 256]) * 1000 for i in range(2000)]
        s1.send_in_pieces(b"".join(d.delimit(f) for f in frames1), piece=65536)
        s1.end()
        s0.send_in_pieces(d.delimit(b"zero"), piece=100)
        s0.end()
        results = dest.wait(10)
        self.assertEqual([r.messages for r in results], [[b"zero"], frames1])

    def test_read_all_returns_each_sockets_messages(self):
        s0, s1 = self.source("a.sock"), self.source("b.sock")
        out = {}
        reader = threading.Thread(
            target=lambda: out.setdefault("m", d.read_all([s0.path, s1.path], d.JSONL, 10)))
        reader.start()
        for i, s in enumerate((s0, s1)):
            s.accept()
            s.send_in_pieces(b'{"i":%d}\n' % i, piece=100)
            s.end()
        reader.join(10)
        self.assertEqual(out["m"], [[{"i": 0}], [{"i": 1}]])

    def test_never_connect_leaves_a_socket_alone(self):
        s0, s1 = self.source("a.sock"), self.source("b.sock")
        dest = d.SocketDestination([s0.path, s1.path], d.JSONL, never_connect=[1]).start()
        s0.accept()
        s0.end()
        s1.server.settimeout(0.3)
        with self.assertRaises(socket.timeout):
            s1.server.accept()
        results = dest.wait(10)
        self.assertTrue(results[0].eof)
        self.assertFalse(results[1].connected)

    def test_close_after_k_messages(self):
        source = self.source()
        dest = d.SocketDestination([source.path], d.JSONL, close_after={0: 3}).start()
        conn = source.accept()
        with self.assertRaises((BrokenPipeError, ConnectionResetError)):
            for i in range(100000):
                conn.sendall(b'{"i":%d}\n' % i)
        [result] = dest.wait(10)
        self.assertTrue(result.closed_early)
        self.assertFalse(result.eof)
        self.assertEqual(result.messages, [{"i": 0}, {"i": 1}, {"i": 2}])

    def test_stall_after_k_bytes_until_released(self):
        source = self.source()
        dest = d.SocketDestination([source.path], d.PROTOBUF, stall_after={0: 1000}).start()
        conn = source.accept()
        frames = [bytes([i % 256]) * 997 for i in range(5000)]  # ~5 MB, more than buffers hold
        data = b"".join(d.delimit(f) for f in frames)
        conn.settimeout(0.5)
        sent = 0
        with self.assertRaises(socket.timeout):
            while sent < len(data):
                sent += conn.send(data[sent:sent + 65536])
        self.assertLess(sent, len(data))
        self.assertLessEqual(dest.results[0].bytes, 1000)
        dest.release()
        conn.settimeout(10)
        conn.sendall(data[sent:])
        source.end()
        [result] = dest.wait(10)
        self.assertIsNone(result.error)
        self.assertEqual(result.messages, frames)


class DecoderAgainstProtobuf(unittest.TestCase):
    """decode_frame reads what python3-protobuf writes for a schema with Airbyte's field
    numbers and types (built here from descriptors, no generated code)."""

    def classes(self):
        from google.protobuf import descriptor_pb2, descriptor_pool, message_factory
        F = descriptor_pb2.FieldDescriptorProto
        f = descriptor_pb2.FileDescriptorProto(name="dc_test.proto", package="dctest",
                                               syntax="proto3")

        def message(name, fields, oneof=None):
            m = f.message_type.add(name=name)
            if oneof:
                m.oneof_decl.add(name=oneof[0])
            for number, fname, ftype, extra in fields:
                field = m.field.add(name=fname, number=number, type=ftype,
                                    label=extra.get("label", F.LABEL_OPTIONAL))
                if "type_name" in extra:
                    field.type_name = extra["type_name"]
                if oneof and number in oneof[1]:
                    field.oneof_index = 0

        message("OffsetDateTime", [(1, "epoch_second", F.TYPE_SINT64, {}),
                                   (2, "nano", F.TYPE_UINT32, {}),
                                   (3, "offset_seconds", F.TYPE_SINT32, {})])
        message("Value", [(1, "boolean", F.TYPE_BOOL, {}), (2, "string", F.TYPE_STRING, {}),
                          (3, "integer", F.TYPE_SINT64, {}), (5, "number", F.TYPE_DOUBLE, {}),
                          (7, "date", F.TYPE_SINT64, {}),
                          (10, "timestamp_with_timezone", F.TYPE_MESSAGE,
                           {"type_name": ".dctest.OffsetDateTime"}),
                          (12, "json", F.TYPE_BYTES, {}), (13, "is_null", F.TYPE_BOOL, {})],
                oneof=("value", {1, 2, 3, 5, 7, 10, 12}))
        message("Record", [(2, "stream_name", F.TYPE_STRING, {}),
                           (3, "emitted_at_ms", F.TYPE_UINT64, {}),
                           (4, "partition_id", F.TYPE_STRING, {}),
                           (5, "data", F.TYPE_MESSAGE,
                            {"type_name": ".dctest.Value", "label": F.LABEL_REPEATED})])
        message("Message", [(1, "record", F.TYPE_MESSAGE, {"type_name": ".dctest.Record"}),
                            (2, "airbyte_protocol_message", F.TYPE_STRING, {})],
                oneof=("type", {1, 2}))
        pool = descriptor_pool.DescriptorPool()
        pool.Add(f)
        factory = message_factory.MessageFactory(pool)
        return factory.GetPrototype(pool.FindMessageTypeByName("dctest.Message"))

    def test_a_record_written_by_protobuf(self):
        Message = self.classes()
        m = Message()
        r = m.record
        r.stream_name, r.emitted_at_ms, r.partition_id = "t", 1700000000123, "aB3x"
        r.data.add().integer = -(1 << 63)
        r.data.add().integer = (1 << 63) - 1
        r.data.add().date = -719162
        r.data.add().boolean = True
        r.data.add().string = "é"
        r.data.add().number = -0.1
        ts = r.data.add().timestamp_with_timezone
        ts.epoch_second, ts.nano, ts.offset_seconds = -1, 999999999, -3600
        r.data.add().json = b'{"a":[1]}'
        r.data.add().is_null = True
        frames = d.FrameSplitter(d.PROTOBUF).feed(d.delimit(m.SerializeToString()))
        self.assertEqual(len(frames), 1)
        self.assertEqual(d.decode_frame(frames[0]), {"record": {
            "stream_name": "t", "emitted_at_ms": 1700000000123, "partition_id": "aB3x",
            "data": [{"integer": -(1 << 63)}, {"integer": (1 << 63) - 1}, {"date": -719162},
                     {"boolean": True}, {"string": "é"}, {"number": -0.1},
                     {"timestamp_with_timezone": {"epoch_second": -1, "nano": 999999999,
                                                  "offset_seconds": -3600}},
                     {"json": b'{"a":[1]}'}, {"is_null": True}]}})


if __name__ == "__main__":
    unittest.main()
