"""Hostile HTTP/2 peers of a gRPC server, written with the h2 library and raw sockets.

Usage: hostile_peer.py PORT CASE [ARGS]
Prints one JSON object: {"ok": true|false, ...details}. The server under test serves
/kratos.hostile.v1.Hostile/Echo (unary, google.protobuf.StringValue both ways) and
/kratos.hostile.v1.Hostile/Flood (server streaming, replies until cancelled).

Cases:
  garbage         random bytes instead of the connection preface: the server closes the connection.
  http1           an HTTP/1.1 request on the gRPC port: the server closes the connection.
  stall SECONDS   a Flood call whose replies are never read (no WINDOW_UPDATE, socket not read).
  flood STREAMS   STREAMS streams opened at once, beyond the server's SETTINGS_MAX_CONCURRENT_STREAMS.
  oversize        a message declaring 5 MiB (over the 4 MiB limit): RESOURCE_EXHAUSTED before its bytes.
  halfsent        half a message then RST_STREAM; then a whole call on the same connection succeeds.
  idle COUNT      COUNT connections that finish the handshake and idle; a call on a new one succeeds.
  ping            a PING is answered with an ACK carrying its data; a call on the connection then succeeds.
  continuation    a call whose header block is split across HEADERS and CONTINUATION frames succeeds.
  window          a client whose stream window is 100 bytes gets a 64 KiB reply within its windows
                  (h2 fails the connection if the server sends past a window).
  badframes       DATA on stream 0 → GOAWAY PROTOCOL_ERROR; a frame declaring 1 MiB → GOAWAY
                  FRAME_SIZE_ERROR; a WINDOW_UPDATE of 0 on the connection → GOAWAY PROTOCOL_ERROR;
                  a header block naming HPACK index 0, and one decoding to a header list over the
                  server's 16 KiB limit → GOAWAY COMPRESSION_ERROR.
"""
import json
import os
import resource
import socket
import struct
import sys
import time

import h2.config
import h2.connection
import h2.events
import h2.exceptions
import h2.settings

ECHO = "/kratos.hostile.v1.Hostile/Echo"
FLOOD = "/kratos.hostile.v1.Hostile/Flood"


def string_value(text):
    data = text.encode()
    return b"\x0a" + bytes([len(data)]) + data


def framed(message):
    return b"\x00" + struct.pack(">I", len(message)) + message


def headers(path):
    return [(":method", "POST"), (":scheme", "http"), (":path", path), (":authority", "127.0.0.1"),
            ("content-type", "application/grpc"), ("te", "trailers")]


def connect(port):
    sock = socket.create_connection(("127.0.0.1", port), timeout=5)
    conn = h2.connection.H2Connection(config=h2.config.H2Configuration(client_side=True, header_encoding="utf-8"))
    conn.initiate_connection()
    sock.sendall(conn.data_to_send())
    return sock, conn


def pump(sock, conn, done, seconds=5.0):
    """Reads and answers until done(events) or the time is up; returns the events seen."""
    events = []
    deadline = time.time() + seconds
    while time.time() < deadline and not done(events):
        sock.settimeout(max(deadline - time.time(), 0.01))
        try:
            data = sock.recv(65536)
        except socket.timeout:
            break
        if not data:
            events.append("closed")
            break
        try:
            received = conn.receive_data(data)
        except h2.exceptions.ProtocolError:
            # Frames after the server's GOAWAY: the connection is over for h2.
            events.append("closed")
            break
        for event in received:
            events.append(event)
            if isinstance(event, h2.events.ConnectionTerminated):
                events.append("goaway")
            if isinstance(event, h2.events.DataReceived):
                conn.acknowledge_received_data(event.flow_controlled_length, event.stream_id)
        pending = conn.data_to_send()
        if pending:
            sock.sendall(pending)
    return events


def status_of(events, stream_id):
    for event in events:
        if isinstance(event, (h2.events.TrailersReceived, h2.events.ResponseReceived)) and event.stream_id == stream_id:
            found = dict(event.headers).get("grpc-status")
            if found is not None:
                return found
    return None


def ended(stream_id):
    return lambda events: any(
        e == "closed" or (isinstance(e, (h2.events.StreamEnded, h2.events.StreamReset)) and e.stream_id == stream_id)
        for e in events)


def echo_call(sock, conn, stream_id, text="hostile"):
    conn.send_headers(stream_id, headers(ECHO))
    conn.send_data(stream_id, framed(string_value(text)), end_stream=True)
    sock.sendall(conn.data_to_send())
    return status_of(pump(sock, conn, ended(stream_id)), stream_id)


def raw_frame(kind, flags, stream_id, payload, length=None):
    length = len(payload) if length is None else length
    return struct.pack(">I", length)[1:] + bytes([kind, flags]) + struct.pack(">I", stream_id) + payload


def goaway_code(sock, conn, frame):
    """Sends a raw frame after the handshake; returns the error code of the GOAWAY that answers it."""
    pump(sock, conn, lambda events: any(isinstance(e, h2.events.RemoteSettingsChanged) for e in events), seconds=2)
    sock.sendall(frame)
    events = pump(sock, conn, lambda events: "goaway" in events or "closed" in events)
    for event in events:
        if isinstance(event, h2.events.ConnectionTerminated):
            return int(event.error_code)
    return None


def closed_within(sock, seconds):
    sock.settimeout(seconds)
    deadline = time.time() + seconds
    try:
        while time.time() < deadline:
            if not sock.recv(65536):
                return True
    except socket.timeout:
        return False
    except OSError:
        # Reset (the server closed with our bytes unread) is closed too.
        return True
    return False


def main():
    port, case = int(sys.argv[1]), sys.argv[2]
    result = {"case": case}
    if case == "garbage":
        sock = socket.create_connection(("127.0.0.1", port), timeout=5)
        sock.sendall(os.urandom(4096))
        result["ok"] = closed_within(sock, 5)
    elif case == "http1":
        sock = socket.create_connection(("127.0.0.1", port), timeout=5)
        sock.sendall(b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        result["ok"] = closed_within(sock, 5)
    elif case == "stall":
        sock, conn = connect(port)
        conn.send_headers(1, headers(FLOOD))
        conn.send_data(1, framed(b""), end_stream=True)
        sock.sendall(conn.data_to_send())
        time.sleep(float(sys.argv[3]))
        sock.close()
        result["ok"] = True
    elif case == "flood":
        count = int(sys.argv[3])
        sock, conn = connect(port)
        # All at once, before the server's SETTINGS (and its limit) have been read.
        for n in range(count):
            conn.send_headers(1 + 2 * n, headers(ECHO))
        sock.sendall(conn.data_to_send())
        events = pump(sock, conn, lambda events: "closed" in events, seconds=2)
        refused = sum(1 for e in events if isinstance(e, h2.events.StreamReset) and e.error_code == 7)
        result["refused"] = refused
        result["closed"] = "closed" in events or "goaway" in events
        # Refused streams (REFUSED_STREAM) or the connection ended (GOAWAY): either is a defence.
        result["ok"] = refused >= count - 100 or result["closed"]
    elif case == "oversize":
        sock, conn = connect(port)
        conn.send_headers(1, headers(ECHO))
        conn.send_data(1, b"\x00" + struct.pack(">I", 5 << 20) + b"\x00" * 100)
        sock.sendall(conn.data_to_send())
        status = status_of(pump(sock, conn, ended(1)), 1)
        result["status"] = status
        result["ok"] = status == "8"
    elif case == "halfsent":
        sock, conn = connect(port)
        conn.send_headers(1, headers(ECHO))
        conn.send_data(1, b"\x00" + struct.pack(">I", 100) + b"\x00" * 10)
        conn.reset_stream(1, error_code=8)
        sock.sendall(conn.data_to_send())
        status = echo_call(sock, conn, 3)
        result["status"] = status
        result["ok"] = status == "0"
    elif case == "idle":
        count = int(sys.argv[3])
        soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, max(soft, count + 100)), hard))
        idle = [connect(port) for _ in range(count)]
        time.sleep(1)
        sock, conn = connect(port)
        status = echo_call(sock, conn, 1)
        still_open = 0
        for idle_sock, _ in idle:
            idle_sock.setblocking(False)
            try:
                still_open += 1 if idle_sock.recv(65536) else 0
            except BlockingIOError:
                still_open += 1
            idle_sock.close()
        result.update(status=status, open=still_open)
        result["ok"] = status == "0" and still_open == count
    elif case == "ping":
        sock, conn = connect(port)
        conn.ping(b"kratos!!")
        sock.sendall(conn.data_to_send())
        events = pump(sock, conn, lambda events: any(isinstance(e, h2.events.PingAckReceived) for e in events))
        acks = [e.ping_data for e in events if isinstance(e, h2.events.PingAckReceived)]
        result["acks"] = [a.decode() for a in acks]
        status = echo_call(sock, conn, 1)
        result["status"] = status
        result["ok"] = acks == [b"kratos!!"] and status == "0"
    elif case == "continuation":
        sock, conn = connect(port)
        conn.send_headers(1, headers(ECHO) + [("x-padding", "p" * 3000)])
        encoded = conn.data_to_send()
        # The HEADERS frame h2 wrote, split in three: HEADERS without END_HEADERS, two CONTINUATIONs.
        length = struct.unpack(">I", b"\x00" + encoded[:3])[0]
        header, block, rest = encoded[:9], encoded[9:9 + length], encoded[9 + length:]
        flags = header[4] & ~0x4
        third = len(block) // 3
        frames = raw_frame(1, flags, 1, block[:third]) + raw_frame(9, 0, 1, block[third:2 * third]) \
            + raw_frame(9, 0x4, 1, block[2 * third:])
        sock.sendall(frames + rest)
        conn.send_data(1, framed(string_value("continued")), end_stream=True)
        sock.sendall(conn.data_to_send())
        status = status_of(pump(sock, conn, ended(1)), 1)
        result["status"] = status
        result["ok"] = status == "0"
    elif case == "window":
        sock = socket.create_connection(("127.0.0.1", port), timeout=5)
        conn = h2.connection.H2Connection(config=h2.config.H2Configuration(client_side=True, header_encoding="utf-8"))
        conn.local_settings = h2.settings.Settings(client=True, initial_values={h2.settings.SettingCodes.INITIAL_WINDOW_SIZE: 100})
        conn.initiate_connection()
        sock.sendall(conn.data_to_send())
        text = "w" * (64 * 1024)
        message = b"\x0a" + bytes([0x80 | (len(text) & 0x7F), 0x80 | ((len(text) >> 7) & 0x7F), len(text) >> 14]) + text.encode()
        # The server's SETTINGS first: its window lets the 64 KiB request through.
        events = pump(sock, conn, lambda events: any(isinstance(e, h2.events.RemoteSettingsChanged) for e in events), seconds=2)
        conn.send_headers(1, headers(ECHO))
        body = framed(message)
        for start in range(0, len(body), 16384):
            conn.send_data(1, body[start:start + 16384], end_stream=start + 16384 >= len(body))
        sock.sendall(conn.data_to_send())
        events += pump(sock, conn, ended(1), seconds=10)
        received = sum(len(e.data) for e in events if isinstance(e, h2.events.DataReceived))
        status = status_of(events, 1)
        result.update(status=status, received=received, frames=sum(1 for e in events if isinstance(e, h2.events.DataReceived)),
                      message=next((dict(e.headers).get("grpc-message") for e in events
                                    if isinstance(e, (h2.events.TrailersReceived, h2.events.ResponseReceived))
                                    and "grpc-message" in dict(e.headers)), None))
        result["ok"] = status == "0" and received == len(framed(message)) and "closed" not in events
    elif case == "badframes":
        def big_headers(conn):
            conn.send_headers(1, headers(ECHO) + [("x-big", "b" * 17000)])
            return conn.data_to_send()

        codes = []
        for frame in (lambda conn: raw_frame(0, 0, 0, b"data"), lambda conn: raw_frame(0, 0, 1, b"", length=1 << 20),
                      lambda conn: raw_frame(8, 0, 0, struct.pack(">I", 0)), lambda conn: raw_frame(1, 0x4, 1, b"\x80"),
                      big_headers):
            sock, conn = connect(port)
            codes.append(goaway_code(sock, conn, frame(conn)))
            sock.close()
        result["codes"] = codes
        result["ok"] = codes == [1, 6, 1, 9, 9]
    else:
        result["ok"] = False
        result["error"] = "unknown case"
    print(json.dumps(result))


if __name__ == "__main__":
    main()
