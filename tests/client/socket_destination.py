"""A test destination for the shim's socket data channel (Airbyte's speed mode,
docs/design/speed-mode.md 1.1, 1.3, 2.7), standard library only.

The source listens on each path; this destination connects to each (retrying, bounded,
until the source listens there), reads every socket on its own thread until EOF, and splits
what arrived into messages:

- PROTOBUF: varint length-delimited frames (protobuf's writeDelimitedTo). A probe is the
  frame of an empty `probe` member (field 3: bytes 1a 00) and is counted, not listed. The
  messages are the raw frames (bytes); `decode_frame` turns one into a dict with a small
  hand-written protobuf wire decoder of Airbyte's AirbyteMessageProtobuf (record, JSON
  protocol message, probe), so no generated code is needed (its test checks it against what
  python3-protobuf writes).
  TODO(issue 16): once proto/airbyte_socket/v1/data_channel.proto is in, a test may decode
  frames with its generated `data_channel_pb2` classes too and compare with decode_frame.
- JSONL: one JSON object per line; a lone empty line is a probe (counted, not listed); the
  messages are the parsed objects.

Failures of a destination can be simulated per socket index: `never_connect` (indexes not
connected at all), `close_after` ({index: K}: close after K messages, probes not counted),
`stall_after` ({index: K}: read K bytes, then nothing until `release()` or `stall_seconds`,
then read on to EOF).

    dest = SocketDestination(paths, "PROTOBUF", close_after={1: 100})
    dest.start()
    ... run the source ...
    results = dest.wait(timeout=60)     # one SocketResult per path, in path order
    results[0].messages, results[0].probes, results[0].eof, results[0].error

or `read_all(paths, fmt)` for the messages of each socket when nothing is simulated.
"""
import collections
import errno
import json
import socket
import struct
import sys
import threading
import time

PROTOBUF = "PROTOBUF"
JSONL = "JSONL"

# An empty AirbyteProbeMessageProtobuf in field 3 of AirbyteMessageProtobuf.
PROBE_FRAME = b"\x1a\x00"


class FramingError(Exception):
    """The bytes of a socket are not a sequence of whole frames."""


def encode_varint(value):
    """Protobuf's base-128 varint of a non-negative integer (for tests building frames)."""
    if value < 0:
        raise ValueError("negative varint")
    out = bytearray()
    while True:
        byte = value & 0x7F
        value >>= 7
        if value:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


def decode_varint(data, pos):
    """(value, position after it), or None when `data` ends inside the varint."""
    value = 0
    for i in range(10):
        if pos + i >= len(data):
            return None
        byte = data[pos + i]
        value |= (byte & 0x7F) << (7 * i)
        if not byte & 0x80:
            if value >= 1 << 64:
                raise FramingError("a varint longer than 64 bits")
            return value, pos + i + 1
    raise FramingError("a varint longer than 10 bytes")


def delimit(frame):
    """`frame` with its varint length in front, as the source writes it."""
    return encode_varint(len(frame)) + frame


class FrameSplitter:
    """Splits a byte stream into frames as it arrives, whatever the read boundaries.
    PROTOBUF frames are the bytes after each length; JSONL frames the lines without "\\n"."""

    def __init__(self, fmt):
        if fmt not in (PROTOBUF, JSONL):
            raise ValueError("format must be PROTOBUF or JSONL, not %r" % (fmt,))
        self.fmt = fmt
        self._buffer = bytearray()

    def feed(self, data):
        """The frames completed by `data`, in order."""
        self._buffer += data
        frames = []
        if self.fmt == JSONL:
            while True:
                end = self._buffer.find(b"\n")
                if end < 0:
                    return frames
                frames.append(bytes(self._buffer[:end]))
                del self._buffer[:end + 1]
        pos = 0
        while True:
            length = decode_varint(self._buffer, pos)
            if length is None or length[1] + length[0] > len(self._buffer):
                break
            frames.append(bytes(self._buffer[length[1]:length[1] + length[0]]))
            pos = length[1] + length[0]
        del self._buffer[:pos]
        return frames

    def finish(self):
        """At EOF: raises FramingError when a frame was cut short."""
        if self._buffer:
            raise FramingError("the stream ends inside a frame (%d bytes left: %r...)"
                               % (len(self._buffer), bytes(self._buffer[:16])))


def is_probe(fmt, frame):
    return frame == (PROBE_FRAME if fmt == PROTOBUF else b"")


def parse_frame(fmt, frame):
    """A message as SocketResult lists it: the raw frame (PROTOBUF), the object (JSONL)."""
    if fmt == PROTOBUF:
        return frame
    return json.loads(frame.decode("utf-8"))


# --- A minimal protobuf wire decoder, enough for Airbyte's data channel messages. ---

def wire_fields(data):
    """[(field number, wire type, value)]: an int for varint (0) and fixed (1, 5) fields,
    bytes for length-delimited ones (2). Groups (3, 4) are refused."""
    fields = []
    pos = 0
    while pos < len(data):
        key = decode_varint(data, pos)
        if key is None:
            raise FramingError("a field key cut short")
        tag, pos = key
        number, wire_type = tag >> 3, tag & 7
        if wire_type == 0:
            value = decode_varint(data, pos)
            if value is None:
                raise FramingError("a varint field cut short")
            value, pos = value
        elif wire_type == 1:
            if pos + 8 > len(data):
                raise FramingError("a 64-bit field cut short")
            value, pos = struct.unpack_from("<Q", data, pos)[0], pos + 8
        elif wire_type == 5:
            if pos + 4 > len(data):
                raise FramingError("a 32-bit field cut short")
            value, pos = struct.unpack_from("<I", data, pos)[0], pos + 4
        elif wire_type == 2:
            length = decode_varint(data, pos)
            if length is None or length[1] + length[0] > len(data):
                raise FramingError("a length-delimited field cut short")
            value, pos = bytes(data[length[1]:length[1] + length[0]]), length[1] + length[0]
        else:
            raise FramingError("wire type %d of field %d" % (wire_type, number))
        if number == 0:
            raise FramingError("field number 0")
        fields.append((number, wire_type, value))
    return fields


def zigzag(value):
    return (value >> 1) ^ -(value & 1)


def _message(data, spec):
    """Decodes the fields of `spec` ({number: (name, kind)}); repeated ones when the name ends
    in []. Kinds: uint, sint (zigzag), bool, string, bytes, double, or a nested spec. Unknown
    fields are kept under "unknown"."""
    out = {}
    for number, wire_type, value in wire_fields(data):
        if number not in spec:
            out.setdefault("unknown", []).append((number, wire_type, value))
            continue
        name, kind = spec[number]
        if kind == "uint":
            decoded = value
        elif kind == "sint":
            decoded = zigzag(value)
        elif kind == "bool":
            decoded = bool(value)
        elif kind == "string":
            decoded = value.decode("utf-8")
        elif kind == "bytes":
            decoded = value
        elif kind == "double":
            decoded = struct.unpack("<d", struct.pack("<Q", value))[0]
        else:
            decoded = _message(value, kind)
        if name.endswith("[]"):
            out.setdefault(name[:-2], []).append(decoded)
        else:
            out[name] = decoded
    return out


_LOCAL_DATE_TIME = {1: ("date_days_since_epoch", "sint"), 2: ("nanos_of_day", "uint")}
_OFFSET_TIME = {1: ("nanos_of_day", "uint"), 2: ("offset_seconds", "sint")}
_OFFSET_DATE_TIME = {1: ("epoch_second", "sint"), 2: ("nano", "uint"),
                     3: ("offset_seconds", "sint")}
# AirbyteValueProtobuf (airbyte_record_message.proto @1af82f7b): one oneof member, is_null.
VALUE = {
    1: ("boolean", "bool"), 2: ("string", "string"), 3: ("integer", "sint"),
    4: ("big_integer", "string"), 5: ("number", "double"), 6: ("big_decimal", "string"),
    7: ("date", "sint"), 8: ("time_with_timezone", _OFFSET_TIME),
    9: ("time_without_timezone", "uint"), 10: ("timestamp_with_timezone", _OFFSET_DATE_TIME),
    11: ("timestamp_without_timezone", _LOCAL_DATE_TIME), 12: ("json", "bytes"),
    13: ("is_null", "bool"),
}
_META_CHANGE = {1: ("field", "string"), 2: ("change", "uint"), 3: ("reason", "uint")}
_META = {1: ("changes[]", _META_CHANGE)}
RECORD = {
    1: ("stream_namespace", "string"), 2: ("stream_name", "string"),
    3: ("emitted_at_ms", "uint"), 4: ("partition_id", "string"), 5: ("data[]", VALUE),
    6: ("meta", _META),
}


def decode_frame(frame):
    """An AirbyteMessageProtobuf frame as a dict with one key: "record" (a dict of the record's
    fields; "data" a list of value dicts, each {member: value} and/or {"is_null": True}),
    "protocol_message" (the JSON message, parsed) or "probe" (True). Unknown fields are kept
    under "unknown" as (number, wire type, value)."""
    fields = _message(frame, {1: ("record", RECORD), 2: ("protocol_message", "string"),
                              3: ("probe", "bytes")})
    if "protocol_message" in fields:
        fields["protocol_message"] = json.loads(fields["protocol_message"])
    if "probe" in fields:
        fields["probe"] = True
    return fields


# --- The destination. ---

class SocketResult:
    """What one socket delivered."""

    def __init__(self, path):
        self.path = path
        self.connected = False
        self.messages = []   # raw frames (PROTOBUF) or parsed objects (JSONL), in order
        self.probes = 0
        self.bytes = 0
        self.eof = False     # the source ended the stream (not: we closed it)
        self.closed_early = False  # close_after closed it
        self.error = None    # text: connect timeout, framing error, read error

    def __repr__(self):
        return ("SocketResult(%s: connected=%s, %d messages, %d probes, %d bytes, eof=%s, "
                "closed_early=%s, error=%r)" % (self.path, self.connected, len(self.messages),
                                                self.probes, self.bytes, self.eof,
                                                self.closed_early, self.error))


class SocketDestination:
    def __init__(self, paths, fmt, connect_timeout=30.0, never_connect=(), close_after=None,
                 stall_after=None, stall_seconds=None, chunk=65536):
        if fmt not in (PROTOBUF, JSONL):
            raise ValueError("format must be PROTOBUF or JSONL, not %r" % (fmt,))
        self.paths = list(paths)
        self.fmt = fmt
        self.connect_timeout = connect_timeout
        self.never_connect = set(never_connect)
        self.close_after = dict(close_after or {})
        self.stall_after = dict(stall_after or {})
        self.stall_seconds = stall_seconds
        self.chunk = chunk
        self.results = [SocketResult(p) for p in self.paths]
        self.connect_attempts = [0] * len(self.paths)
        self._released = threading.Event()
        self._stop = threading.Event()
        self._threads = []

    def start(self):
        for i in range(len(self.paths)):
            if i in self.never_connect:
                continue
            thread = threading.Thread(target=self._run, args=(i,), daemon=True)
            thread.start()
            self._threads.append(thread)
        return self

    def release(self):
        """Ends the stalls of stall_after."""
        self._released.set()

    def wait(self, timeout=60.0):
        """The results once every socket reached EOF, was closed or failed; raises
        TimeoutError when one is still reading after `timeout` seconds."""
        deadline = time.monotonic() + timeout
        for thread in self._threads:
            thread.join(max(0.0, deadline - time.monotonic()))
            if thread.is_alive():
                raise TimeoutError("a socket is still being read after %s s: %r"
                                   % (timeout, self.results))
        return self.results

    def stop(self):
        """Gives up: stalls end, connecting stops; sockets being read are read to EOF."""
        self._stop.set()
        self._released.set()

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    def _connect(self, i):
        deadline = time.monotonic() + self.connect_timeout
        while True:
            self.connect_attempts[i] += 1
            s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            try:
                s.connect(self.paths[i])
                return s
            except OSError as e:
                s.close()
                if e.errno not in (errno.ENOENT, errno.ECONNREFUSED):
                    raise
            if self._stop.is_set() or time.monotonic() >= deadline:
                return None
            time.sleep(0.01)

    def _run(self, i):
        result = self.results[i]
        try:
            conn = self._connect(i)
        except OSError as e:
            result.error = "cannot connect to %s: %s" % (self.paths[i], e)
            return
        if conn is None:
            result.error = "%s did not listen within %s s" % (self.paths[i], self.connect_timeout)
            return
        result.connected = True
        splitter = FrameSplitter(self.fmt)
        stall_at = self.stall_after.get(i)
        close_at = self.close_after.get(i)
        with conn:
            try:
                while True:
                    size = self.chunk
                    if stall_at is not None:
                        if result.bytes >= stall_at:
                            self._released.wait(self.stall_seconds)
                            stall_at = None
                            continue
                        size = min(size, stall_at - result.bytes)
                    data = conn.recv(size)
                    if not data:
                        result.eof = True
                        splitter.finish()
                        return
                    result.bytes += len(data)
                    for frame in splitter.feed(data):
                        if is_probe(self.fmt, frame):
                            result.probes += 1
                            continue
                        result.messages.append(parse_frame(self.fmt, frame))
                        if close_at is not None and len(result.messages) >= close_at:
                            result.closed_early = True
                            conn.shutdown(socket.SHUT_RDWR)
                            return
            except (OSError, FramingError, ValueError) as e:
                result.error = "%s: %s" % (self.paths[i], e)


def read_all(paths, fmt, timeout=60.0, **options):
    """The messages of each socket, in path order, once all reached EOF; raises
    AssertionError naming the socket when one did not end cleanly."""
    results = SocketDestination(paths, fmt, **options).start().wait(timeout)
    for result in results:
        if result.error is not None or not result.eof:
            raise AssertionError("socket did not end cleanly: %r" % (result,))
    return [result.messages for result in results]


def main(argv):
    """`socket_destination.py FORMAT PATH...`: connects to each socket, reads it to the end,
    and prints per socket the records, states, statuses and probes it received (README,
    speed mode). Exits 1 when a socket did not end cleanly."""
    if len(argv) < 3 or argv[1] not in (PROTOBUF, JSONL):
        print("usage: socket_destination.py PROTOBUF|JSONL PATH...", file=sys.stderr)
        return 2
    fmt, paths = argv[1], argv[2:]
    results = SocketDestination(paths, fmt, connect_timeout=600.0).start().wait(timeout=86400)
    ok = True
    for result in results:
        kinds = collections.Counter()
        for m in result.messages:
            if fmt == PROTOBUF:
                m = decode_frame(m)
                m = {"type": "RECORD"} if "record" in m else m.get("protocol_message", {})
            kind = m.get("type", "?")
            if kind == "TRACE":
                kind = m.get("trace", {}).get("type", "TRACE")
            kinds[kind] += 1
        print("%s: %d records, %d states, %d statuses, %d probes, %d bytes%s" % (
            result.path, kinds["RECORD"], kinds["STATE"], kinds["STREAM_STATUS"], result.probes,
            result.bytes, "" if result.eof and result.error is None else
            " (did not end cleanly: %s)" % (result.error or "no end of stream")))
        ok = ok and result.eof and result.error is None
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
