#!/usr/bin/python3
"""`cohort-replay backup` on a log a running cohort-server is writing (issue 21 item 5): two
participants play and send metrics while others keep registering, a backup is taken mid-run,
and the copy is sound, one file, and holds exactly the first records of the live log. The copy
never replaces a file unless --force is given, and a bad source or destination gets exit 2 and
one line.

Usage: backup_test.py SERVER REPLAY   (run with /usr/bin/python3)
"""
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

from live_study import LiveServer, RecordingClient as Player

SERVER, REPLAY = sys.argv[1:3]
CONFIG = {
    "experiment_id": "backup",
    "server": {"admin_token": "backup-admin-token", "durability": "normal"},
    "scenes": [{"scene_id": "consent", "type": "static"},
               {"scene_id": "room", "type": "game", "human_seats": 2, "countdown_ms": 0},
               {"scene_id": "end", "type": "static"}],
}
COLUMNS = "seq, at, kind, type, version, subject, game, scene, causation, payload, checksum"


class BackupTest(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.TemporaryDirectory()
        self.live = LiveServer(SERVER, CONFIG, self.dir.name)
        self.server, self.port, self.db = self.live.process, self.live.port, self.live.db

    def tearDown(self):
        self.live.close()
        self.dir.cleanup()

    def replay(self, *args):
        return subprocess.run([REPLAY, *args], capture_output=True, text=True, timeout=60)

    def rows(self, path, up_to=None):
        with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as db:
            if up_to is None:
                return db.execute(f"SELECT {COLUMNS} FROM records ORDER BY seq").fetchall()
            return db.execute(f"SELECT {COLUMNS} FROM records WHERE seq <= ? ORDER BY seq", (up_to,)).fetchall()

    def test_a_backup_taken_while_the_server_writes_is_a_sound_prefix_of_the_log(self):
        ana, ben = Player(self.port, "ana"), Player(self.port, "ben")
        for p in (ana, ben):
            p.sio.emit("advance_scene", {})
            p.wait_for("activate_scene")
            p.sio.emit("join_game", {})
        game_id = ana.wait_for("start_game")["game_id"]
        ben.wait_for("start_game")

        # Writes go on during the backup: metrics from the game, and newcomers registering.
        stop = threading.Event()
        acked = []

        def keep_writing():
            n = 0
            while not stop.is_set():
                n += 1
                acked.append(ana.sio.call("emit_multiplayer_metrics",
                                          {"game_id": game_id, "metrics": {"step": n, "score": {"ana": n}}},
                                          timeout=5))
                newcomer = Player(self.port, f"newcomer-{n}")
                newcomer.close()

        writer = threading.Thread(target=keep_writing)
        writer.start()
        try:
            while len(acked) < 5:
                stop.wait(0.02)
            copy = os.path.join(self.dir.name, "copy.db")
            backup = self.replay("backup", self.db, copy)
            while len(acked) < 10:  # the server goes on writing after the copy
                stop.wait(0.02)
        finally:
            stop.set()
            writer.join()
        self.assertEqual(backup.returncode, 0, backup.stderr)
        copied = int(re.fullmatch(r"backed up: (\d+) records to (.*)\n", backup.stdout).group(1))
        self.assertTrue(all(answer == {"status": "ok"} for answer in acked), acked)
        self.assertEqual(backup.stderr, "")
        self.assertEqual(sorted(os.listdir(self.dir.name)), ["config.json", "copy.db", "study.db",
                                                             "study.db-shm", "study.db-wal", "study.db.lock"],
                         "the copy is one file and no partial file is left")

        verify = self.replay("verify", copy)
        self.assertEqual((verify.returncode, verify.stdout), (0, f"sound: {copied} records\n"), verify.stderr)
        live = self.rows(self.db)
        self.assertGreater(len(live), copied, "the server wrote nothing after the copy")
        copy_rows = self.rows(copy)
        self.assertEqual(len(copy_rows), copied)
        self.assertEqual(copy_rows, self.rows(self.db, copied), "the copy is not the first records of the log")
        self.assertIn("metrics_stored", [row[3] for row in copy_rows])
        state = self.replay("state", copy, "--json")
        self.assertEqual(state.returncode, 0, state.stderr)
        self.assertIn(str(game_id), json.loads(state.stdout)["games"])

        # An existing file is never replaced unless asked, whatever it holds.
        with open(copy, "rb") as f:
            before = f.read()
        again = self.replay("backup", self.db, copy)
        self.assertEqual(again.returncode, 2)
        self.assertEqual(again.stdout, "")
        self.assertEqual(again.stderr, f"cohort-replay: {copy} exists; give --force to replace it\n")
        with open(copy, "rb") as f:
            self.assertEqual(f.read(), before)
        forced = self.replay("backup", self.db, copy, "--force")
        self.assertEqual(forced.returncode, 0, forced.stderr)
        self.assertGreater(int(forced.stdout.split()[2]), copied)
        self.assertEqual(self.replay("verify", copy).returncode, 0)

        for p in (ana, ben):
            p.close()
        self.server.send_signal(signal.SIGTERM)
        self.assertEqual(self.server.wait(timeout=20), 0)

    def test_a_bad_source_or_destination_is_refused_with_one_line(self):
        missing = os.path.join(self.dir.name, "missing.db")
        foreign = os.path.join(self.dir.name, "foreign.db")
        with sqlite3.connect(foreign) as db:
            db.execute("CREATE TABLE t (x)")
        out = os.path.join(self.dir.name, "out.db")
        cases = [
            (["backup", missing, out], [missing, "no such file"]),
            (["backup", foreign, out], [foreign, "not a Cohort log"]),
            (["backup", self.db, self.db, "--force"], [self.db, "is the log itself"]),
            (["backup", self.db, os.path.join(self.dir.name, "no-dir", "out.db")], ["cannot"]),
            (["backup", self.db], ["OUT"]),
        ]
        for args, named in cases:
            with self.subTest(args=args):
                run = self.replay(*args)
                self.assertEqual(run.returncode, 2, run.stdout + run.stderr)
                self.assertEqual(run.stdout, "")
                lines = run.stderr.split("\n")
                self.assertEqual((len(lines), lines[1]), (2, ""), run.stderr)
                self.assertTrue(lines[0].startswith("cohort-replay: "), run.stderr)
                for text in named:
                    self.assertIn(text, lines[0])
        self.assertFalse(os.path.exists(out))
        self.assertEqual([name for name in os.listdir(self.dir.name) if ".partial." in name], [])


if __name__ == "__main__":
    unittest.main(argv=sys.argv[:1], verbosity=2)
