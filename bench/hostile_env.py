"""Starts switchyard-mock and switchyard from a build on loopback ports with a
small config (one mock provider, route "fast", one client key), for the
hostile-input scripts beside this file. Python's standard library only."""
import contextlib
import os
import socket
import subprocess
import tempfile
import time


@contextlib.contextmanager
def gateway(build, gw_port, mock_port, key, server_extra=""):
    """Yields the gateway's Popen; both processes end when the block ends."""
    cfg = f"""
[server]
listen = "127.0.0.1:{gw_port}"
access_log = false
{server_extra}
[[providers]]
name = "mock"
base_url = "http://127.0.0.1:{mock_port}/v1"
api_key = "mock-key"
[[models]]
name = "fast"
targets = [{{ provider = "mock", model = "mock-fast" }}]
[[keys]]
name = "client"
key = "{key}"
"""
    with tempfile.NamedTemporaryFile("w", suffix=".toml", delete=False) as f:
        f.write(cfg)
        path = f.name
    mock = subprocess.Popen([f"{build}/switchyard-mock", "--listen", f"127.0.0.1:{mock_port}"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    gw = subprocess.Popen([f"{build}/switchyard", "--config", path], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", gw_port), timeout=1).close()
                break
            except OSError:
                time.sleep(0.05)
        yield gw
    finally:
        gw.terminate()
        mock.terminate()
        gw.wait(timeout=15)
        mock.wait(timeout=15)
        os.unlink(path)
