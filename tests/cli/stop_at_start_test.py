#!/usr/bin/python3
"""A SIGTERM sent the moment cohort-server prints its "started" line stops it cleanly (exit 0,
a "stopped" line), every time: a service manager or a script may stop a server as soon as it
reports that it is up. (The handler used to be installed after that line, so such a signal
killed the process with the default action: exit -15, found by a flaky CLI test.)

Usage: stop_at_start_test.py COHORT_SERVER. Run with /usr/bin/python3.
"""
import json
import os
import signal
import subprocess
import sys
import tempfile

ROUNDS = 30


def one_round(server, tmp, n):
    config = os.path.join(tmp, "config.json")
    with open(config, "w") as out:
        json.dump({"experiment_id": "stop-at-start",
                   "server": {"admin_token": "stop-at-start-admin-token"},
                   "scenes": [{"scene_id": "consent", "type": "static"}]}, out)
    process = subprocess.Popen([server, "--config", config, "--db", os.path.join(tmp, f"log-{n}.db"),
                                "--address", "127.0.0.1", "--port", "0"],
                               stderr=subprocess.PIPE, text=True)
    seen = ""
    for line in process.stderr:
        seen += line
        if '"started"' in line:
            process.send_signal(signal.SIGTERM)
            break
    seen += process.stderr.read()
    code = process.wait(timeout=20)
    if code != 0 or '"stopped"' not in seen:
        return f"round {n}: exit {code}, stderr {seen[-400:]!r}"
    return None


def main():
    server = os.path.abspath(sys.argv[1])
    with tempfile.TemporaryDirectory() as tmp:
        failures = [p for p in (one_round(server, tmp, n) for n in range(ROUNDS)) if p]
    for failure in failures:
        print("FAIL " + failure)
    print(f"rounds={ROUNDS} failed={len(failures)}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
