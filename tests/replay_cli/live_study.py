"""A cohort-server playing a study on a scratch log, and python-socketio clients that record what
they receive: what the replay CLI tests that read a live log (backup, exports) start from."""
import json
import os
import re
import subprocess
import threading

import socketio


class LiveServer:
    """cohort-server on `config` (a dict), its log at `db` in `directory`, on a free port."""

    def __init__(self, server, config, directory):
        self.db = os.path.join(directory, "study.db")
        config_path = os.path.join(directory, "config.json")
        with open(config_path, "w") as out:
            json.dump(config, out)
        self.process = subprocess.Popen(
            [server, "--config", config_path, "--db", self.db, "--address", "127.0.0.1", "--port", "0"],
            stderr=subprocess.PIPE, text=True)
        self.port = None
        while self.port is None:
            line = self.process.stderr.readline()
            if not line:
                raise AssertionError("cohort-server exited before starting")
            if '"started"' in line:
                self.port = int(re.search(r'"port":"?(\d+)', line).group(1))
        threading.Thread(target=self.process.stderr.read, daemon=True).start()

    def close(self):
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()
        self.process.stderr.close()


class RecordingClient:
    """Registers `subject_id` and keeps every event it receives, with its payload."""

    def __init__(self, port, subject_id):
        self.events = []
        self.arrived = threading.Condition()
        self.sio = socketio.Client(reconnection=False)
        self.sio.on("*", self._record)
        self.sio.connect(f"http://127.0.0.1:{port}", transports=["websocket"], wait_timeout=5)
        self.sio.emit("register_subject", {"subject_id": subject_id})
        self.wait_for("registered")

    def _record(self, event, *args):
        with self.arrived:
            self.events.append((event, args[0] if args else None))
            self.arrived.notify_all()

    def wait_for(self, event, timeout=5.0, count=1):
        """The payload of the `count`-th `event`, once it has arrived."""
        with self.arrived:
            if not self.arrived.wait_for(lambda: sum(name == event for name, _ in self.events) >= count, timeout):
                raise AssertionError(f"no {event}; got {[name for name, _ in self.events]}")
            return [payload for name, payload in self.events if name == event][count - 1]

    def close(self):
        self.sio.disconnect()
