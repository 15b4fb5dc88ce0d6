"""cohort-server driven by Debian's python3-socketio client (run with /usr/bin/python3)."""
import json
import os
import re
import subprocess
import tempfile
import threading
import time
import unittest

import socketio

SERVER = os.environ.get("COHORT_SERVER", os.path.join(os.path.dirname(__file__), "../../build/cohort-server"))
CONFIG = {
    "experiment_id": "python-e2e",
    "server": {"admin_token": "python-client-admin-token"},
    "scenes": [
        {"scene_id": "consent", "type": "static"},
        {"scene_id": "cramped_room", "type": "game", "human_seats": 2, "countdown_ms": 0,
         "reconnection_timeout_ms": 5000},
        {"scene_id": "end", "type": "static"},
    ],
}


class Participant:
    """A python-socketio client that records every event it receives."""

    def __init__(self, url, subject_id, token=None):
        self.events = []
        self.changed = threading.Condition()
        self.sio = socketio.Client(reconnection=False)
        self.sio.on("*", self._record)
        self.sio.connect(url, transports=["websocket"])
        payload = {"subject_id": subject_id}
        if token:
            payload["resume_token"] = token
        self.sio.emit("register_subject", payload)
        self.token = self.wait_for("registered")["resume_token"]

    def _record(self, event, *args):
        with self.changed:
            self.events.append((event, args[0] if args else None))
            self.changed.notify_all()

    def wait_for(self, event, timeout=5.0):
        deadline = time.time() + timeout
        with self.changed:
            while True:
                for name, payload in self.events:
                    if name == event:
                        return payload
                remaining = deadline - time.time()
                if remaining <= 0:
                    raise AssertionError(f"no {event}; got {[name for name, _ in self.events]}")
                self.changed.wait(remaining)


class PythonClientTest(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.TemporaryDirectory()
        config = os.path.join(self.dir.name, "config.json")
        with open(config, "w") as out:
            json.dump(CONFIG, out)
        self.server = subprocess.Popen(
            [SERVER, "--config", config, "--db", os.path.join(self.dir.name, "log.db"), "--address", "127.0.0.1",
             "--port", "0"], stderr=subprocess.PIPE, text=True)
        line = ""
        while "started" not in line:
            line = self.server.stderr.readline()
            self.assertTrue(line, "the server exited before it started")
        self.url = "http://127.0.0.1:" + re.search(r'"port":"(\d+)"', line).group(1)
        self.clients = []

    def tearDown(self):
        for client in self.clients:
            if client.sio.connected:
                client.sio.disconnect()
        self.server.terminate()
        self.server.wait(timeout=10)
        self.server.stderr.close()
        self.dir.cleanup()

    def participant(self, subject_id, token=None):
        client = Participant(self.url, subject_id, token)
        self.clients.append(client)
        return client

    def test_a_pair_plays_relays_and_resumes_after_a_reconnect(self):
        alice, bob = self.participant("py-alice"), self.participant("py-bob")
        for client in (alice, bob):
            client.sio.emit("advance_scene", {})
        time.sleep(0.2)
        alice.sio.emit("join_game", {"rtt_ms": 25.4})
        alice.wait_for("waiting_room")
        bob.sio.emit("join_game", {})
        game = alice.wait_for("start_game")["game_id"]
        self.assertEqual(bob.wait_for("start_game")["game_id"], game)

        alice.sio.emit("pyodide_player_action", {"game_id": game, "action": [1, 0], "frame_number": 3})
        self.assertEqual(bob.wait_for("pyodide_other_player_action"), {"player_id": 0, "action": [1, 0], "frame_number": 3})
        ack = alice.sio.call("emit_multiplayer_metrics", {"game_id": game, "metrics": {"score": 9}}, timeout=5)
        self.assertEqual(ack, {"status": "ok"})

        token = bob.token
        bob.sio.disconnect()
        alice.wait_for("p2p_pause")
        back = self.participant("py-bob", token)
        self.assertEqual(back.wait_for("session_restored"), {"game_id": game, "player_id": 1, "scene_id": "cramped_room"})
        alice.wait_for("p2p_resume")


if __name__ == "__main__":
    unittest.main()
