"""The destination side of a speed-mode benchmark run (tools/bench, methods s1j ... s4p):
connects to every socket the shim listens on (retrying until it listens), reads each to the
end on its own thread into a reused buffer, and prints one JSON line {"bytes": N,
"newlines": N} (newlines: JSONL's message count, probes included). It decodes nothing, so
that its CPU stays small beside the shim's; tools/bench reports it apart.

    python3 socket_sink.py JSONL|PROTOBUF PATH...
"""
import json
import socket
import sys
import threading
import time

CONNECT_TIMEOUT_S = 120.0
BUFFER_BYTES = 4 << 20


def connect(path):
    deadline = time.monotonic() + CONNECT_TIMEOUT_S
    while True:
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            s.connect(path)
            return s
        except (FileNotFoundError, ConnectionRefusedError):
            s.close()
            if time.monotonic() >= deadline:
                raise
            time.sleep(0.005)


def drain(path, fmt, totals, index, errors):
    try:
        buffer = bytearray(BUFFER_BYTES)
        total = newlines = 0
        with connect(path) as s:
            while True:
                n = s.recv_into(buffer)
                if n == 0:
                    break
                total += n
                if fmt == "JSONL":
                    newlines += buffer.count(b"\n", 0, n)
        totals[index] = (total, newlines)
    except OSError as e:
        errors.append("%s: %s" % (path, e))


def main(argv):
    if len(argv) < 3 or argv[1] not in ("JSONL", "PROTOBUF"):
        print("usage: socket_sink.py JSONL|PROTOBUF PATH...", file=sys.stderr)
        return 2
    fmt, paths = argv[1], argv[2:]
    totals = [(0, 0)] * len(paths)
    errors = []
    threads = [threading.Thread(target=drain, args=(p, fmt, totals, i, errors))
               for i, p in enumerate(paths)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if errors:
        print("; ".join(errors), file=sys.stderr)
        return 1
    print(json.dumps({"bytes": sum(t[0] for t in totals),
                      "newlines": sum(t[1] for t in totals),
                      "per_socket_bytes": [t[0] for t in totals]}))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
