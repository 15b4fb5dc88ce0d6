#!/usr/bin/python3
"""`cohort-replay export --subjects` and `--metrics` (issue 21 item 3) on the log of a running
cohort-server, played by python-socketio clients: a waiter who timed out has a row, the CSV
reads back through Python's csv module with the values of the JSON lines export, and what the
live log gives is what the finished log gives for the same records.

Usage: study_exports_test.py SERVER REPLAY   (run with /usr/bin/python3)
"""
import csv
import io
import json
import signal
import subprocess
import sys
import tempfile
import unittest

from live_study import LiveServer, RecordingClient

SERVER, REPLAY = sys.argv[1:3]
CONFIG = {
    "experiment_id": "exports",
    "server": {"admin_token": "exports-admin-token", "durability": "normal"},
    "scenes": [{"scene_id": "consent", "type": "static"},
               {"scene_id": "room", "type": "game", "human_seats": 2, "countdown_ms": 0,
                "waitroom_timeout_ms": 300},
               {"scene_id": "end", "type": "static"}],
}
GUARDED = tuple("=+-@\t\r")


class Client(RecordingClient):
    def enter_game_scene(self):
        self.sio.emit("advance_scene", {})
        self.wait_for("activate_scene", count=2)
        self.sio.emit("join_game", {})


def csv_text_of(value):
    """What the CSV holds for a JSON lines value."""
    if value is None:
        return ""
    if value is True or value is False:
        return "true" if value else "false"
    if isinstance(value, list):
        return json.dumps(value, separators=(",", ":"), ensure_ascii=False)
    if isinstance(value, str):
        return "'" + value if value.startswith(GUARDED) else value
    return value  # a number: compared as a number


class StudyExportsTest(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.TemporaryDirectory()
        self.live = LiveServer(SERVER, CONFIG, self.dir.name)
        self.server, self.port, self.db = self.live.process, self.live.port, self.live.db

    def tearDown(self):
        self.live.close()
        self.dir.cleanup()

    def export(self, *args):
        run = subprocess.run([REPLAY, "export", self.db, *args], capture_output=True, timeout=60)
        self.assertEqual(run.returncode, 0, run.stderr)
        self.assertEqual(run.stderr, b"")
        return run.stdout.decode("utf-8")

    def both_formats(self, table):
        """The CSV's rows as dicts of text, after checking them against the JSON lines export."""
        text = self.export(f"--{table}")
        self.assertTrue(text.endswith("\r\n"))
        rows = list(csv.DictReader(io.StringIO(text, newline="")))
        objects = [json.loads(line) for line in self.export(f"--{table}", "--format", "jsonl").splitlines()]
        self.assertEqual(len(rows), len(objects))
        for row, obj in zip(rows, objects):
            self.assertEqual(list(row), list(obj), "the CSV header and the JSON keys differ")
            for key, value in obj.items():
                expected = csv_text_of(value)
                if isinstance(expected, (int, float)):
                    self.assertEqual(float(row[key]), float(expected), key)
                else:
                    self.assertEqual(row[key], expected, key)
        return rows

    def test_subjects_and_metrics_from_a_live_and_a_finished_log(self):
        waiter = Client(self.port, "waiter")
        waiter.enter_game_scene()
        waiter.wait_for("waitroom_timeout")

        ana, ben = Client(self.port, "ana"), Client(self.port, "=ben, \"jr\"")
        for p in (ana, ben):
            p.enter_game_scene()
        game_id = ana.wait_for("start_game")["game_id"]
        ben.wait_for("start_game")
        sent = [
            (ana, {"step": 1, "score": {"ana": 2.5, "ben": -1}, "moves": [1, "a,b", None], "note": "says \"hi\", ok"}),
            (ben, {"step": 2, "done": True, "note": "-ö\nline", "extra": None}),
        ]
        for client, metrics in sent:
            self.assertEqual(client.sio.call("emit_multiplayer_metrics", {"game_id": game_id, "metrics": metrics},
                                             timeout=5), {"status": "ok"})

        # While the server runs: the log so far.
        live = {row["subject_id"]: row for row in self.both_formats("subjects")}
        self.assertEqual(list(live), ["waiter", "ana", "'=ben, \"jr\""])
        self.assertEqual(live["waiter"]["outcome"], "waitroom_timeout")
        self.assertEqual(live["waiter"]["waitroom_timeouts"], "1")
        self.assertGreaterEqual(int(live["waiter"]["waited_ms"]), 300)
        self.assertEqual(live["waiter"]["games_played"], "0")
        self.assertEqual(live["ana"]["outcome"], "in_progress")
        self.assertEqual(live["ana"]["games_played"], "1")

        metrics = self.both_formats("metrics")
        self.assertEqual([row["subject_id"] for row in metrics], ["ana", "'=ben, \"jr\""])
        self.assertEqual(list(metrics[0])[:5], ["seq", "at", "subject_id", "game_id", "scene_id"])
        self.assertEqual(metrics[0]["metrics.score.ana"], "2.5")
        self.assertEqual(metrics[0]["metrics.score.ben"], "-1")
        self.assertEqual(json.loads(metrics[0]["metrics.moves"]), [1, "a,b", None])
        self.assertEqual(metrics[0]["metrics.note"], "says \"hi\", ok")
        self.assertEqual(metrics[1]["metrics.note"], "'-ö\nline")
        self.assertEqual(metrics[1]["metrics.done"], "true")
        self.assertEqual(metrics[1]["metrics.score.ana"], "")
        self.assertEqual({row["game_id"] for row in metrics}, {str(game_id)})
        self.assertEqual({row["scene_id"] for row in metrics}, {"room"})

        # The game ends normally; ana goes on to the last scene, which ends her study; ben closes
        # his tab without going on.
        ana.sio.emit("multiplayer_game_complete", {"game_id": game_id, "episode_num": 1, "max_episodes": 1})
        ana.sio.emit("advance_scene", {})
        ana.wait_for("activate_scene", count=3)
        for client in (waiter, ana, ben):
            client.sio.disconnect()
        self.server.send_signal(signal.SIGTERM)
        self.assertEqual(self.server.wait(timeout=20), 0)

        final = {row["subject_id"]: row for row in self.both_formats("subjects")}
        self.assertEqual(final["ana"]["outcome"], "finished")
        self.assertEqual(final["ana"]["scenes_reached"], "consent;room;end")
        self.assertEqual(final["ana"]["games_completed"], "1")
        self.assertEqual(final["'=ben, \"jr\""]["outcome"], "disconnected")
        self.assertEqual(final["'=ben, \"jr\""]["scene_id"], "room")
        self.assertEqual(final["waiter"], live["waiter"] | {"last_seen_at": final["waiter"]["last_seen_at"],
                                                            "outcome": "waitroom_timeout"})
        self.assertEqual(self.both_formats("metrics"), metrics)


if __name__ == "__main__":
    unittest.main(argv=sys.argv[:1], verbosity=2)
