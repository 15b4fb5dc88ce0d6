#!/usr/bin/python3
"""Where cohort-server listens, as docs/config.md and --help say: `server.port: 0` in the config
picks a free port (as --port 0 does) and the "started" line names it; --address takes a host
name (localhost) and listens on its address; --help shows the default address, 0.0.0.0.

Usage: listen_test.py COHORT_SERVER. Run with /usr/bin/python3.
"""
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile


def start_and_stop(server, args):
    """Starts the server, returns the fields of its "started" line, stops it with SIGTERM."""
    process = subprocess.Popen([server, *args], stderr=subprocess.PIPE, text=True)
    started = None
    try:
        for line in process.stderr:
            if '"started"' in line:
                started = json.loads(line)
                break
        if started:
            # The port is really open on the address the line names.
            with socket.create_connection((started["address"], int(started["port"])), timeout=5):
                pass
    finally:
        process.send_signal(signal.SIGTERM)
        process.stderr.read()
        code = process.wait(timeout=20)
    if started is None:
        raise AssertionError(f"no started line (exit {code})")
    if code != 0:
        raise AssertionError(f"exit {code} after SIGTERM")
    return started


def main():
    server = os.path.abspath(sys.argv[1])
    failures = []
    with tempfile.TemporaryDirectory() as tmp:
        config = os.path.join(tmp, "config.json")
        with open(config, "w") as out:
            json.dump({"experiment_id": "listen", "server": {"port": 0, "admin_token": "listen-test-admin-token"},
                       "scenes": [{"scene_id": "consent", "type": "static"}]}, out)

        started = start_and_stop(server, ["--config", config, "--db", os.path.join(tmp, "a.db"),
                                          "--address", "127.0.0.1"])
        if started["port"] in ("0", "8080"):
            failures.append(f"server.port 0: the started line names port {started['port']}")

        started = start_and_stop(server, ["--config", config, "--db", os.path.join(tmp, "b.db"),
                                          "--address", "localhost"])
        if started["address"] not in ("127.0.0.1", "::1"):
            failures.append(f"--address localhost: listening on {started['address']}")

        usage = subprocess.run([server, "--help"], capture_output=True, text=True, timeout=20).stdout
        address_line = next((line for line in usage.splitlines() if "--address" in line), "")
        if "0.0.0.0" not in address_line:
            failures.append(f"--help does not show the default address: {address_line!r}")
    for failure in failures:
        print("FAIL " + failure)
    print("ok" if not failures else f"{len(failures)} failed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
