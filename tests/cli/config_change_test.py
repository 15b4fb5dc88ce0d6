#!/usr/bin/python3
"""The config is part of the history (issue 16 item 3), from the command line: a restart with an
edited config records the new experiment; one whose scene list no longer fits what is live is
refused with one line and exit 1, the log untouched; with --accept-config-change it starts, the
games that did not fit end `config_changed`, and cohort-replay reads every record with the
experiment of its time.

Usage: config_change_test.py SERVER REPLAY   (run with /usr/bin/python3)
"""
import copy
import hashlib
import json
import os
import re
import signal
import sqlite3
import subprocess
import sys
import tempfile
import threading
import unittest
import urllib.request

import socketio

SERVER, REPLAY = sys.argv[1:3]
ADMIN_TOKEN = "config-change-admin-token"
CONFIG = {
    "experiment_id": "config-change",
    "server": {"admin_token": ADMIN_TOKEN, "durability": "normal"},
    "scenes": [{"scene_id": "consent", "type": "static"},
               {"scene_id": "room", "type": "game", "human_seats": 2, "countdown_ms": 0,
                "reconnection_timeout_ms": 600000},
               {"scene_id": "end", "type": "static"}],
}


def digest(path):
    if not os.path.exists(path) or os.path.getsize(path) == 0:
        return None
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


class Server:
    def __init__(self, config_path, db, *flags):
        self.process = subprocess.Popen(
            [SERVER, "--config", config_path, "--db", db, "--address", "127.0.0.1", "--port", "0", *flags],
            stderr=subprocess.PIPE, text=True)
        self.stderr = ""
        self.port = None
        while True:
            line = self.process.stderr.readline()
            if not line:
                return  # it exited before starting
            self.stderr += line
            if '"started"' in line:
                self.port = int(re.search(r'"port":"?(\d+)', line).group(1))
                threading.Thread(target=self.process.stderr.read, daemon=True).start()
                return

    def admin(self, path):
        request = urllib.request.Request(f"http://127.0.0.1:{self.port}{path}",
                                         headers={"Authorization": f"Bearer {ADMIN_TOKEN}"})
        with urllib.request.urlopen(request, timeout=5) as answer:
            return json.loads(answer.read())

    def stop(self):
        self.process.send_signal(signal.SIGTERM)
        return self.process.wait(timeout=20)


class Participant:
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
            self.events.append(event)
            self.arrived.notify_all()

    def wait_for(self, event, timeout=5.0):
        with self.arrived:
            if not self.arrived.wait_for(lambda: event in self.events, timeout):
                raise AssertionError(f"no {event}; got {self.events}")

    def join(self):
        self.sio.emit("advance_scene", {})
        self.wait_for("activate_scene")
        self.sio.emit("join_game", {})

    def close(self):
        self.sio.disconnect()


class ConfigChangeTest(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.TemporaryDirectory()
        self.db = os.path.join(self.dir.name, "study.db")
        self.config_path = os.path.join(self.dir.name, "config.json")
        self.servers = []

    def tearDown(self):
        for server in self.servers:
            if server.process.poll() is None:
                server.process.kill()
                server.process.wait()
        self.dir.cleanup()

    def write_config(self, config):
        with open(self.config_path, "w") as out:
            json.dump(config, out, indent=2)

    def start(self, *flags):
        server = Server(self.config_path, self.db, *flags)
        self.servers.append(server)
        return server

    def records(self, type_name):
        with sqlite3.connect(self.db) as db:
            return db.execute("SELECT seq, payload FROM records WHERE kind = 'event' AND type = ? ORDER BY seq",
                              (type_name,)).fetchall()

    def replay(self, *args):
        return subprocess.run([REPLAY, *args], capture_output=True, text=True)

    def test_an_edited_config_is_recorded_a_misfit_refused_and_accepted_on_request(self):
        self.write_config(CONFIG)
        server = self.start()
        self.assertIsNotNone(server.port, server.stderr)
        # (Waiters and subjects past the end: tests/config_history_test.cpp.)
        ana, ben = (Participant(server.port, name) for name in ("ana", "ben"))
        ana.join()
        ben.join()
        ana.wait_for("start_game")
        ben.wait_for("start_game")
        for p in (ana, ben):
            p.close()
        self.assertEqual(server.stop(), 0)
        self.assertEqual(len(self.records("experiment_configured")), 1)

        # A compatible edit (a message's text, another layout): started, the change recorded.
        edited = copy.deepcopy(CONFIG)
        edited["scenes"][1]["messages"] = {"partner_disconnected": "Your partner has left the study."}
        self.write_config(edited)
        server = self.start()
        self.assertIsNotNone(server.port, server.stderr)
        self.assertEqual(server.stop(), 0)
        configured = self.records("experiment_configured")
        self.assertEqual(len(configured), 2)
        self.assertIn("has%20left%20the%20study", configured[1][1])
        self.assertNotIn(ADMIN_TOKEN, configured[1][1])

        # The same experiment again, keys in another order: nothing new recorded.
        with open(self.config_path, "w") as out:
            json.dump({"scenes": edited["scenes"], "server": edited["server"], "experiment_id": "config-change"},
                      out, sort_keys=True)
        server = self.start()
        self.assertIsNotNone(server.port, server.stderr)
        self.assertEqual(server.stop(), 0)
        self.assertEqual(len(self.records("experiment_configured")), 2)

        # The game scene made static while a game is live in it: refused, one line, exit 1.
        incompatible = copy.deepcopy(edited)
        incompatible["scenes"][1] = {"scene_id": "room", "type": "static"}
        self.write_config(incompatible)
        before = {suffix: digest(self.db + suffix) for suffix in ("", "-wal")}
        refused = self.start()
        self.assertIsNone(refused.port, "the server started on a config that does not fit")
        self.assertEqual(refused.process.wait(timeout=20), 1)
        lines = [line for line in refused.stderr.splitlines() if line.strip()]
        self.assertEqual(len(lines), 1, refused.stderr)
        self.assertTrue(lines[0].startswith("cohort-server: the new config does not fit the log: game 1 is live in "
                                            "scene 1 (room), which the config makes a static scene"), lines[0])
        self.assertTrue(lines[0].endswith("; start with --accept-config-change to end such games"), lines[0])
        self.assertEqual(before, {suffix: digest(self.db + suffix) for suffix in ("", "-wal")},
                         "the refused start wrote to the log")

        # Told to go on: it starts, and the game that did not fit has ended config_changed.
        server = self.start("--accept-config-change")
        self.assertIsNotNone(server.port, server.stderr)
        state = server.admin("/admin/state")
        self.assertEqual(state["games"], {}, state)
        self.assertNotIn("room", state["waitrooms"], state)  # no longer a game scene
        for subject in ("ana", "ben"):
            self.assertEqual(state["subjects"][subject]["state"], "idle", state)
            self.assertEqual(state["subjects"][subject]["scene_id"], "room", state)
        self.assertEqual(server.stop(), 0)
        self.assertEqual([payload for _, payload in self.records("game_ended")], ["reason=config_changed"])
        self.assertEqual(len(self.records("experiment_configured")), 3)

        # cohort-replay reads each record with the experiment of its time.
        rerun = self.replay("rerun", self.db)
        self.assertEqual(rerun.returncode, 0, rerun.stdout + rerun.stderr)
        export = self.replay("export", self.db, "--sessions")
        self.assertEqual(export.returncode, 0, export.stderr)
        rows = export.stdout.splitlines()[1:]
        self.assertEqual(len(rows), 2)
        for row in rows:
            self.assertIn(",room,", row)
            self.assertIn(",true,config_changed,", row)
        last_game_seq = self.records("game_ended")[0][0] - 1
        while_playing = self.replay("state", self.db, "--at", str(last_game_seq))
        self.assertEqual(while_playing.returncode, 0, while_playing.stderr)
        self.assertIn("waitrooms:\n  room: (empty)\n", while_playing.stdout)  # room was a game scene then
        self.assertIn("  1  room  ", while_playing.stdout)
        now = self.replay("state", self.db)
        self.assertIn("waitrooms:\n\ngames (0 live)", now.stdout)
        audit = self.replay("audit", self.db)
        self.assertEqual(audit.returncode, 0, audit.stdout)


if __name__ == "__main__":
    unittest.main(argv=sys.argv[:1], verbosity=2)
