#!/usr/bin/python3
"""cohort-server on damaged logs, on a disk that fills up and on a log another server holds: it
either starts and reports what it found, or refuses with one clear line; it never drops records
silently and never writes over the evidence.

Usage: damaged_files_test.py SERVER REPLAY MAKE_FIXTURE_LOG   (run with /usr/bin/python3)
"""
import hashlib
import json
import os
import re
import resource
import signal
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
import unittest
import urllib.error
import urllib.request

import socketio

SERVER, REPLAY, MAKE_FIXTURE_LOG = sys.argv[1:4]
ADMIN_TOKEN = "damaged-files-admin-token"
CONFIG = {
    "experiment_id": "damaged-files",
    # The full-disk case sends metrics as fast as it can until the disk fills: it must not be
    # closed as a flood first.
    "server": {"admin_token": ADMIN_TOKEN, "durability": "full", "rate_limit_per_s": 10000},
    "scenes": [{"scene_id": "consent", "type": "static"},
               {"scene_id": "room", "type": "game", "human_seats": 2, "countdown_ms": 0},
               {"scene_id": "end", "type": "static"}],
}


def digest(path):
    if not os.path.exists(path) or os.path.getsize(path) == 0:
        return None  # a reader may leave an empty -wal beside a log: nothing of the log changes
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def start(config_path, db, limit_file_bytes=None):
    """Starts the server; returns (process, port, everything it wrote up to its `started` line)
    once it says `started`, or (process, None, everything it wrote) when it exits first."""
    def limit():
        # A disk that is full at this size: writes past it fail with EFBIG instead of a signal.
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit_file_bytes, limit_file_bytes))

    process = subprocess.Popen([SERVER, "--config", config_path, "--db", db, "--address", "127.0.0.1", "--port", "0"],
                               stderr=subprocess.PIPE, text=True, preexec_fn=limit if limit_file_bytes else None)
    written = ""
    while True:
        line = process.stderr.readline()
        if not line:
            return process, None, written
        written += line
        if '"started"' in line:
            return process, int(re.search(r'"port":"?(\d+)', line).group(1)), written


class Client:
    def __init__(self, port, subject_id):
        self.acked = []
        self.sio = socketio.Client(reconnection=False)
        self.registered = threading.Event()
        self.sio.on("registered", lambda payload: self.registered.set())
        self.sio.connect(f"http://127.0.0.1:{port}", transports=["websocket"], wait_timeout=5)
        self.sio.emit("register_subject", {"subject_id": subject_id})
        self.registered.wait(5)

    def metrics(self, metric_id, blob=""):
        def on_ack(answer=None):
            # ok or error, an ack is sent only once its command is committed
            if isinstance(answer, dict) and "status" in answer:
                self.acked.append(metric_id)
        try:
            # Outside a game the command is rejected, but it is journaled first: the log grows.
            self.sio.emit("emit_multiplayer_metrics", {"game_id": 1, "metrics": {"id": metric_id, "pad": blob}},
                          callback=on_ack)
        except Exception:
            pass


class DamagedFilesTest(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.TemporaryDirectory()
        self.config = os.path.join(self.dir.name, "config.json")
        with open(self.config, "w") as out:
            json.dump(CONFIG, out)
        self.db = os.path.join(self.dir.name, "log.db")

    def tearDown(self):
        self.dir.cleanup()

    def fixture(self, *damage):
        subprocess.run([MAKE_FIXTURE_LOG, self.db, *damage], check=True)

    def assert_refused(self, says):
        before = {suffix: digest(self.db + suffix) for suffix in ("", "-wal")}
        process, port, stderr = start(self.config, self.db)
        if port is not None:
            process.kill()
            self.fail("the server started on a log it should refuse")
        code = process.wait()
        self.assertNotEqual(code, 0)
        self.assertLess(code, 128, "a crash, not a refusal")
        lines = [line for line in stderr.splitlines() if line.strip()]
        self.assertEqual(len(lines), 1, stderr)
        self.assertTrue(lines[0].startswith("cohort-server: "), lines[0])
        self.assertIn(says, lines[0])
        self.assertEqual(before, {suffix: digest(self.db + suffix) for suffix in ("", "-wal")},
                         "the refused log was written to")

    def test_payload_with_a_flipped_byte_is_refused_naming_the_record(self):
        self.fixture()
        with open(self.db, "r+b") as f:
            data = f.read()
            at = data.index(b"issued_token_hash=")
            f.seek(at + len("issued_token_hash="))
            f.write(b"g")  # one byte changed on disk, inside a payload (a hash holds no g)
        verify = subprocess.run([REPLAY, "verify", self.db], capture_output=True, text=True)
        self.assertEqual(verify.returncode, 1)
        seq = re.search(r"record (\d+): checksum mismatch", verify.stdout).group(1)
        self.assert_refused(f"record {seq}: checksum mismatch; the log is damaged")

    def test_deleted_record_is_refused_as_a_gap(self):
        self.fixture("--delete-record", "200")
        self.assert_refused("record 201: position gap, expected 200")

    def test_newer_schema_is_refused(self):
        self.fixture("--schema-version", "99")
        self.assert_refused("written by a newer Cohort (schema 99")

    def test_a_file_that_is_not_sqlite_is_refused(self):
        with open(self.db, "wb") as out:
            out.write(b"participant,answer\n" * 500)
        self.assert_refused("cannot read it as a Cohort log")

    def test_truncated_main_file_is_refused(self):
        self.fixture()
        size = os.path.getsize(self.db)
        os.truncate(self.db, size // 2)
        self.assert_refused("")  # SQLite's own words for it; one line is what is checked

    def test_torn_wal_tail_starts_and_reports_what_survived(self):
        process, port, _ = start(self.config, self.db)
        client = Client(port, "ana")
        for n in range(40):
            client.metrics(f"m{n}")
        deadline = time.time() + 5
        while len(client.acked) < 40 and time.time() < deadline:
            time.sleep(0.05)
        process.kill()  # SIGKILL: the records stay in the WAL, not yet checkpointed
        process.wait()
        wal = self.db + "-wal"
        self.assertGreater(os.path.getsize(wal), 4096)
        os.truncate(wal, os.path.getsize(wal) - 1000)  # the last frames torn, as by a power cut
        process, port, started = start(self.config, self.db)
        self.assertIsNotNone(port, "the server refused a log whose WAL tail was torn")
        process.kill()
        process.wait()
        reported = int(re.search(r'"last_seq":"?(\d+)', started).group(1))
        verify = subprocess.run([REPLAY, "verify", self.db], capture_output=True, text=True)
        self.assertEqual(verify.returncode, 0, verify.stdout)
        # What survived is a prefix of what was written: gap-free, every checksum good, and the
        # server's started line says where it ends (its own server_started comes after it).
        sound = int(re.search(r"sound: (\d+) records", verify.stdout).group(1))
        self.assertGreater(reported, 0)
        self.assertGreater(sound, reported - 1)

    def test_damage_under_a_running_server_is_named_by_the_dashboard_timeline(self):
        process, port, _ = start(self.config, self.db)
        try:
            client = Client(port, "ana")
            client.sio.disconnect()
            # Another program alters a committed record behind the server's back.
            with sqlite3.connect(self.db) as db:
                seq = db.execute("SELECT MIN(seq) FROM records WHERE payload LIKE '%ana%'").fetchone()[0]
                db.execute("UPDATE records SET payload = payload || 'x' WHERE seq = ?", (seq,))
            request = urllib.request.Request(f"http://127.0.0.1:{port}/admin/timeline?subject=ana",
                                             headers={"Authorization": "Bearer " + ADMIN_TOKEN})
            with self.assertRaises(urllib.error.HTTPError) as answer:
                urllib.request.urlopen(request, timeout=10)
            self.assertEqual(answer.exception.code, 500)
            body = json.loads(answer.exception.read())
            self.assertEqual(body["code"], "damaged_log")
            self.assertIn(f"record {seq}: checksum mismatch", body["message"])
            self.assertIsNone(process.poll(), "the server keeps running: the live state is its own")
        finally:
            process.kill()
            process.wait()

    def test_a_log_file_gone_under_a_running_server_is_reported_by_the_timeline(self):
        process, port, _ = start(self.config, self.db)
        try:
            Client(port, "ana").sio.disconnect()
            os.rename(self.db, self.db + ".moved")  # the server keeps writing to its open file
            request = urllib.request.Request(f"http://127.0.0.1:{port}/admin/timeline?subject=ana",
                                             headers={"Authorization": "Bearer " + ADMIN_TOKEN})
            with self.assertRaises(urllib.error.HTTPError) as answer:
                urllib.request.urlopen(request, timeout=10)
            self.assertEqual(answer.exception.code, 500)
            self.assertEqual(json.loads(answer.exception.read())["code"], "log_unreadable")
            self.assertIsNone(process.poll())
        finally:
            process.kill()
            process.wait()

    def admin_state(self, port):
        request = urllib.request.Request(f"http://127.0.0.1:{port}/admin/state", headers={"Authorization": "Bearer " + ADMIN_TOKEN})
        return json.loads(urllib.request.urlopen(request, timeout=10).read())

    def test_a_second_server_on_the_same_log_is_refused_and_the_first_goes_on(self):
        first, port, _ = start(self.config, self.db)
        try:
            second, second_port, stderr = start(self.config, self.db)
            if second_port is not None:
                second.kill()
                self.fail("a second server started on a log another one holds")
            self.assertEqual(second.wait(), 1)
            self.assertEqual(stderr.splitlines(), [f"cohort-server: {self.db} is held by another cohort-server "
                                                   f"(pid {first.pid}); stop it or use another --db"])
            # The first one still serves and commits: a registration is answered, so it is in the log.
            health = json.loads(urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=5).read())
            client = Client(port, "ana")
            self.assertTrue(client.registered.is_set(), "the first server did not answer a registration")
            after = json.loads(urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=5).read())
            self.assertGreater(after["last_seq"], health["last_seq"])
            # Readers take no lock: the held log verifies while its server runs.
            verify = subprocess.run([REPLAY, "verify", self.db], capture_output=True, text=True)
            self.assertEqual(verify.returncode, 0, verify.stdout + verify.stderr)
            self.assertIsNone(first.poll())
        finally:
            first.kill()
            first.wait()

    def test_a_snapshot_with_a_flipped_byte_is_skipped_and_reported_by_verify(self):
        with open(self.config, "w") as out:
            json.dump({**CONFIG, "server": {**CONFIG["server"], "snapshot_every": 10}}, out)
        process, port, _ = start(self.config, self.db)
        client = Client(port, "ana")
        for n in range(40):
            client.metrics(f"m{n}")
        deadline = time.time() + 5
        while len(client.acked) < 40 and time.time() < deadline:
            time.sleep(0.05)
        process.send_signal(signal.SIGTERM)
        self.assertEqual(process.wait(timeout=10), 0)
        with sqlite3.connect(self.db) as db:
            (newer, data), (older, _) = db.execute("SELECT seq, data FROM snapshots ORDER BY seq DESC").fetchall()
            flipped = bytearray(data)
            flipped[len(flipped) // 2] ^= 0x01  # one byte, as a disk would; the checksum left as it was
            db.execute("UPDATE snapshots SET data = ? WHERE seq = ?", (bytes(flipped), newer))
        verify = subprocess.run([REPLAY, "verify", self.db], capture_output=True, text=True)
        self.assertEqual((verify.returncode, verify.stdout), (1, f"unsound: snapshot {newer}: checksum mismatch\n"))

        process, port, written = start(self.config, self.db)
        self.assertIsNotNone(port, written)
        try:
            ignored = [json.loads(line) for line in written.splitlines() if '"snapshot_ignored"' in line]
            self.assertEqual([(line["seq"], line["reason"]) for line in ignored], [(str(newer), "checksum mismatch")])
            self.assertIn(f'"snapshot_seq":"{older}"', written.splitlines()[-1])
            replayed = subprocess.run([REPLAY, "state", self.db, "--json"], capture_output=True, text=True, check=True)
            self.assertEqual(self.admin_state(port), json.loads(replayed.stdout))
        finally:
            process.kill()
            process.wait()

    def test_full_disk_stops_the_server_and_loses_nothing_acknowledged(self):
        process, port, _ = start(self.config, self.db, limit_file_bytes=256 * 1024)
        self.assertIsNotNone(port)
        client = Client(port, "ana")
        for n in range(2000):
            client.metrics(f"m{n}", blob="x" * 200)
            if process.poll() is not None:
                break
            time.sleep(0.002)
        code = process.wait(timeout=20)
        stderr = process.stderr.read()
        self.assertEqual(code, 3, "a failed commit stops the server with code 3")
        self.assertIn('"commit_failed"', stderr)
        acked = list(client.acked)
        self.assertGreater(len(acked), 10, stderr)
        # Room again: the server starts on what was committed, and every ack is in it.
        process, port, _ = start(self.config, self.db)
        self.assertIsNotNone(port, "the server did not start again after the disk had room")
        process.kill()
        process.wait()
        self.assertEqual(subprocess.run([REPLAY, "verify", self.db], capture_output=True).returncode, 0)
        trace = subprocess.run([REPLAY, "trace", self.db, "--subject", "ana"], capture_output=True, text=True).stdout
        missing = [m for m in acked if f"%22id%22:%22{m}%22" not in trace and f'"id":"{m}"' not in trace]
        self.assertEqual(missing, [], "acknowledged records missing after the disk filled")
        print(f"\n  full disk: {len(acked)} acknowledged before the commit failed, all in the log", file=sys.stderr)


if __name__ == "__main__":
    unittest.main(argv=[sys.argv[0], "-v"])
