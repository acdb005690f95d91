#!/usr/bin/env python3
"""Replays the hardening review's raw-socket attacks against a running pair of
binaries and prints what each got: a quick before/after check of two builds.

  bench/hostile_replay.py [BUILD_DIR]      (default build/release)

The regression tests live in test/server/hostile_client_test.cpp; this is
the same table for builds the tests cannot link against (e.g. an older one).
Needs only python3's standard library.
"""
import socket
import sys
import time

from hostile_env import gateway

BUILD = sys.argv[1] if len(sys.argv) > 1 else "build/release"
GW_PORT, MOCK_PORT = 18580, 18590
KEY = "sy-replay-key-0001"
ADMIN = "admin-key-0123456789"


def exchange(data, wait=1.5):
    s = socket.create_connection(("127.0.0.1", GW_PORT), timeout=5)
    try:
        s.sendall(data)
    except OSError:
        pass
    s.settimeout(wait)
    out, closed = b"", False
    try:
        while True:
            chunk = s.recv(65536)
            if not chunk:
                closed = True
                break
            out += chunk
    except socket.timeout:
        pass
    except OSError:
        closed = True
    s.close()
    statuses = [out[i + 9:i + 12].decode() for i in range(len(out)) if out.startswith(b"HTTP/1.1 ", i)]
    return statuses, closed, out


def main():
    with gateway(BUILD, GW_PORT, MOCK_PORT, KEY, f'admin_key = "{ADMIN}"') as gw:
        auth = f"Authorization: Bearer {KEY}\r\n".encode()
        body = b'{"model":"fast","messages":[{"role":"user","content":"hi"}]}'
        smuggled = f"GET /v1/providers HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {ADMIN}\r\n\r\n".encode()
        chunked = b"%x\r\n" % len(body) + body + b"\r\n0\r\n"
        long_model = body.replace(b'"fast"', b'"mock/' + b"m" * 300 + b'"')
        cases = [
            ("key only in a chunked trailer", b"POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n" + chunked + auth + b"\r\n", "401"),
            ("admin key only in a trailer", b"GET /v1/providers HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n" + f"Authorization: Bearer {ADMIN}\r\n\r\n".encode(), "401"),
            ("TE: xchunked + smuggled GET", b"POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\n" + auth + b"Transfer-Encoding: xchunked\r\n\r\n" + smuggled, "501"),
            ("TE: chunked, identity + smuggled GET", b"POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\n" + auth + b"Transfer-Encoding: chunked, identity\r\n\r\n" + smuggled, "400"),
            ("TE: gzip + smuggled GET", b"POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\n" + auth + b"Transfer-Encoding: gzip\r\n\r\n" + smuggled, "501"),
            ("HEAD /health then GET", b"HEAD /health HTTP/1.1\r\nHost: x\r\n\r\nGET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", "200,200"),
            ("temperature 1e400", b"POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nConnection: close\r\n" + auth +
             b'Content-Length: 77\r\n\r\n{"model":"fast","temperature":1e400,"messages":[{"role":"user","content":"h"}]}', "400"),
            ("model name of 300 bytes", b"POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nConnection: close\r\n" + auth +
             b"Content-Length: %d\r\n\r\n" % len(long_model) + long_model, "400"),
            ("endless chunk extension with a key", b"POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\n" + auth + b"Transfer-Encoding: chunked\r\n\r\n1;ext=" + b"a" * (4 << 20), "400"),
        ]
        print("| attack | expected | got | connection |")
        print("|---|---|---|---|")
        for name, data, expected in cases:
            statuses, closed, out = exchange(data)
            got = ",".join(statuses) or "none"
            extra = " (admin data served)" if b'"targets"' in out else ""
            if name.startswith("HEAD"):
                head_end = out.find(b"\r\n\r\n") + 4
                if head_end >= 4 and not out.startswith(b"HTTP/1.1 ", head_end):
                    extra = " (HEAD answer carried a body)"
            print(f"| {name} | {expected} | {got}{extra} | {'closed' if closed else 'open'} |")



if __name__ == "__main__":
    main()
