#!/usr/bin/env python3
"""Memory under hostile input: the gateway's RSS (from /proc) while clients
with no key, and then with a key, send what the hardening review sent.

  bench/hostile_rss.py [BUILD_DIR]      (default build/release)

Starts switchyard-mock and switchyard (default limits, conf-like config on
loopback ports), runs each attack, prints RSS above idle after each one as a
table (copied into bench/RESULTS.md). Needs only python3's standard library.
"""
import socket
import sys
import time

from hostile_env import gateway

BUILD = sys.argv[1] if len(sys.argv) > 1 else "build/release"
GW_PORT, MOCK_PORT = 18480, 18490
KEY = "sy-rss-test-key-0001"


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def connect():
    s = socket.create_connection(("127.0.0.1", GW_PORT), timeout=30)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 16)
    return s


def send_all_quietly(s, data):
    try:
        s.sendall(data)
    except OSError:
        pass  # the gateway closed early: that is the point


def read_status(s):
    s.settimeout(30)
    buf = b""
    try:
        while b"\r\n" not in buf:
            chunk = s.recv(4096)
            if not chunk:
                break
            buf += chunk
    except OSError:
        pass
    return buf[9:12].decode() if buf.startswith(b"HTTP/1.1 ") else "---"


def numbers_body(n_bytes):
    head = b'{"model":"fast","messages":[{"role":"user","content":[0'
    return head + b",0" * ((n_bytes - len(head)) // 2) + b"]}]}"


def post(body, key=None, extra=b""):
    h = b"POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
    if key:
        h += b"Authorization: Bearer " + key.encode() + b"\r\n"
    return h + extra + b"Content-Length: " + str(len(body)).encode() + b"\r\n\r\n" + body


def main():
    with gateway(BUILD, GW_PORT, MOCK_PORT, KEY, "") as gw:
        idle = rss_kib(gw.pid)
        rows = [("idle", "", idle)]

        def row(name, statuses, peak):
            rows.append((name, statuses, peak))

        # 1. No key: 4 MB of 2 M numbers on 10 keep-alive connections (the review's 950 MB).
        body = numbers_body(4 * 1024 * 1024 - 16)
        peak, statuses, conns = idle, set(), []
        for _ in range(10):
            s = connect()
            send_all_quietly(s, post(body))
            statuses.add(read_status(s))
            conns.append(s)
            peak = max(peak, rss_kib(gw.pid))
        time.sleep(0.5)
        row("no key: 10 x 4 MB body of 2 M numbers, connections kept", ",".join(sorted(statuses)), max(peak, rss_kib(gw.pid)))
        for s in conns:
            s.close()

        # 2. No key: endless chunk extension and trailer on 20 connections each.
        peak, statuses = idle, set()
        conns = []
        for kind in (b"1;ext=", b"2\r\n{}\r\n0\r\nX-Pad: "):
            for _ in range(20):
                s = connect()
                send_all_quietly(s, b"POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n" + kind + b"a" * (8 << 20))
                statuses.add(read_status(s))
                conns.append(s)
                peak = max(peak, rss_kib(gw.pid))
        row("no key: 40 x endless chunk extension / trailer (8 MiB sent each)", ",".join(sorted(statuses)), peak)
        for s in conns:
            s.close()

        # 3. No key: 9,000 connections (near the default 10,000) sending nothing, then
        # 9,000 each holding 15 KiB of unfinished headers (slowloris within the request timeout).
        for label, payload in (("9,000 idle connections", b""),
                               ("9,000 connections with 15 KiB of unfinished headers",
                                b"GET /health HTTP/1.1\r\nHost: x\r\nX-Pad: " + b"a" * (15 * 1024))):
            conns, refused = [], 0
            for i in range(9000):
                try:
                    s = connect()
                except OSError:
                    refused += 1
                    continue
                if payload:
                    s.setblocking(False)
                    try:
                        s.send(payload)
                    except OSError:
                        pass
                conns.append(s)
            time.sleep(2.0)
            statuses = set()
            for s in conns[:50] + conns[-50:]:
                s.setblocking(False)
                try:
                    data = s.recv(64)
                    statuses.add(data[9:12].decode() if data.startswith(b"HTTP/1.1 ") else "closed")
                except BlockingIOError:
                    statuses.add("open")
                except OSError:
                    statuses.add("closed")
            row("no key: " + label, ",".join(sorted(statuses)), rss_kib(gw.pid))
            for s in conns:
                s.close()
            time.sleep(1.0)

        # 4. With a key: the same 4 MB of numbers (over 8x the body once parsed) on 10 connections.
        peak, statuses = rss_kib(gw.pid), set()
        for i in range(10):
            s = connect()
            send_all_quietly(s, post(body, KEY))
            statuses.add(read_status(s))
            peak = max(peak, rss_kib(gw.pid))
            s.close()
            if i == 0:
                row("key: one 4 MB body of 2 M numbers (budget: 4 MiB body + 32 MiB parse)", ",".join(sorted(statuses)), peak)
        row("key: 10 x 4 MB body of 2 M numbers, one after another", ",".join(sorted(statuses)), peak)

        # 5. With a key: the largest body that parses within its budget (4 MB of text in one message), 10 at once.
        big = b'{"model":"fast","messages":[{"role":"user","content":"' + b"a" * (4 * 1024 * 1024 - 128) + b'"}]}'
        conns, peak, statuses = [], rss_kib(gw.pid), set()
        for _ in range(10):
            s = connect()
            send_all_quietly(s, post(big, KEY))
            conns.append(s)
        for s in conns:
            statuses.add(read_status(s))
            peak = max(peak, rss_kib(gw.pid))
            s.close()
        row("key: 10 x 4 MB request that is answered", ",".join(sorted(statuses)), peak)
        time.sleep(1.0)
        rows.append(("after all, connections closed", "", rss_kib(gw.pid)))

        print("| attack | statuses | gateway RSS | above idle |")
        print("|---|---|---|---|")
        for name, st, kib in rows:
            print(f"| {name} | {st} | {kib / 1024:.1f} MiB | {(kib - idle) / 1024:+.1f} MiB |")



if __name__ == "__main__":
    main()
