"""Hostile clients against cohort-server: malformed frames, wrong types in every field, other
subjects' games and tokens, sockets that never answer pings, a reader that never reads, 10,000
idle sockets and a flood at ten times the rate limit. Each case gets its error code or a clean
close, and a pair playing beside it keeps its relays flowing within bounds.

Run with /usr/bin/python3 (Debian's python3-socketio and python3-websocket); COHORT_SERVER names
the binary.
"""
import json
import os
import re
import resource
import socket
import subprocess
import tempfile
import threading
import time
import unittest

import socketio
import websocket

SERVER = os.environ.get("COHORT_SERVER", os.path.join(os.path.dirname(__file__), "../../build/cohort-server"))
TOKEN = "hostile-admin-token-0123"  # admin_token takes 16 characters at least
# Under a sanitizer (scripts/sanitize sets COHORT_SANITIZER) the server is several times slower
# and larger; the cases are the same, the bounds looser.
SLACK = 4 if os.environ.get("COHORT_SANITIZER") else 1
# What a pair playing beside the attack must still see: every relay, the slowest under this.
RELAY_P99_BOUND_S = 0.25 * SLACK


def experiment(**server):
    return {
        "experiment_id": "hostile",
        # Cases send a few dozen refused messages in a burst; the budget of journaled
        # rejections (10 a second by default) is FloodTest's subject, not theirs.
        "server": {"admin_token": TOKEN, "rate_limit_per_s": 50, "max_message_bytes": 4096,
                   "ping_interval_ms": 500, "ping_timeout_ms": 500, "rejections_per_s": 100, **server},
        "scenes": [{"scene_id": "consent", "type": "static"},
                   {"scene_id": "room", "type": "game", "human_seats": 2, "countdown_ms": 0,
                    "reconnection_timeout_ms": 5000},
                   {"scene_id": "end", "type": "static"}],
    }


def die_with_parent():
    """Runs in the child before exec: the server gets SIGKILL when this test process ends, so
    that a failed setUp never leaves a server holding CTest's output pipe open."""
    import ctypes
    import signal
    ctypes.CDLL("libc.so.6").prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG


class Server:
    def __init__(self, config, prefix=()):
        """`prefix` runs the server under another command (prlimit, say)."""
        self.dir = tempfile.TemporaryDirectory()
        path = os.path.join(self.dir.name, "config.json")
        with open(path, "w") as out:
            json.dump(config, out)
        self.process = subprocess.Popen(
            preexec_fn=die_with_parent,
            args=[*prefix, SERVER, "--config", path, "--db", os.path.join(self.dir.name, "log.db"), "--address", "127.0.0.1",
             "--port", "0"], stderr=subprocess.PIPE, text=True)
        line = ""
        while '"started"' not in line:
            line = self.process.stderr.readline()
            if not line:
                raise RuntimeError("the server exited before it started")
        self.port = int(re.search(r'"port":"(\d+)"', line).group(1))
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = []
        threading.Thread(target=self._drain, daemon=True).start()

    def _drain(self):
        for line in self.process.stderr:
            self.log.append(line)

    def rss_kib(self):
        with open(f"/proc/{self.process.pid}/status") as status:
            return int(re.search(r"VmRSS:\s+(\d+)", status.read()).group(1))

    def cpu_seconds(self):
        """User and system CPU the server has used so far."""
        with open(f"/proc/{self.process.pid}/stat") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def alive(self):
        return self.process.poll() is None

    def stop(self):
        self.process.terminate()
        self.process.wait(timeout=15)
        self.dir.cleanup()


class Player:
    """A well-behaved python-socketio client."""

    def __init__(self, url, subject_id):
        """Connects, and registers as `subject_id` unless it is None."""
        self.events = []
        self.cond = threading.Condition()
        self.sio = socketio.Client(reconnection=False)
        self.sio.on("*", self._record)
        self.sio.connect(url, transports=["websocket"])
        if subject_id is not None:
            self.sio.emit("register_subject", {"subject_id": subject_id})
            self.token = self.wait_for("registered")["resume_token"]

    def _record(self, event, *args):
        with self.cond:
            self.events.append((event, args[0] if args else None, time.monotonic()))
            self.cond.notify_all()

    def wait_for(self, event, match=lambda p: True, timeout=5.0, after=0):
        deadline = time.monotonic() + timeout
        with self.cond:
            while True:
                for name, payload, _ in self.events[after:]:
                    if name == event and match(payload):
                        return payload
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(f"no {event}; got {[e[0] for e in self.events[after:]][-20:]}")
                self.cond.wait(left)

    def error_after(self, send, timeout=5.0):
        mark = len(self.events)
        send()
        return self.wait_for("error", after=mark, timeout=timeout)

    def close(self):
        if self.sio.connected:
            self.sio.disconnect()


def started_pair(url, a, b):
    first, second = Player(url, a), Player(url, b)
    for p in (first, second):
        p.sio.emit("advance_scene", {})
        p.sio.emit("join_game", {})
    game = first.wait_for("start_game")["game_id"]
    second.wait_for("start_game")
    return first, second, game


def relay_p99(sender, receiver, game, count=40):
    """Sends `count` actions at about 30 a second; returns the 99th-percentile delay."""
    delays = []
    for n in range(count):
        stamp = time.monotonic()
        mark = len(receiver.events)
        sender.sio.emit("pyodide_player_action", {"game_id": game, "action": {"n": n}, "frame_number": n})
        receiver.wait_for("pyodide_other_player_action", lambda p, n=n: p["frame_number"] == n, 5, mark)
        delays.append(time.monotonic() - stamp)
        time.sleep(1 / 30)
    delays.sort()
    return delays[min(len(delays) - 1, int(0.99 * len(delays)))]


class RawSocket:
    """Engine.IO by hand, for frames no client library would send."""

    def __init__(self, port, connect_namespace=True):
        self.ws = websocket.create_connection(f"ws://127.0.0.1:{port}/socket.io/?EIO=4&transport=websocket", timeout=5)
        assert self.ws.recv().startswith("0{")  # the open packet
        if connect_namespace:
            self.ws.send("40")
            assert self.ws.recv().startswith("40")

    def next_event(self, timeout=5.0):
        """The next Socket.IO event as (name, payload), answering pings; None once closed."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                self.ws.settimeout(max(0.1, deadline - time.monotonic()))
                frame = self.ws.recv()
            except (websocket.WebSocketConnectionClosedException, ConnectionError):
                return None
            except websocket.WebSocketTimeoutException:
                break
            if frame == "2":
                self.ws.send("3")
            elif frame.startswith("42"):
                name, *args = json.loads(frame[2:])
                return name, args[0] if args else None
            elif frame == "":
                return None
        raise AssertionError("no event from the server")

    def emit(self, name, payload):
        self.ws.send("42" + json.dumps([name, payload]))


class HostileClientsTest(unittest.TestCase):
    def setUp(self):
        self.server = Server(experiment())
        self.a, self.b, self.game = started_pair(self.server.url, "pair-a", "pair-b")

    def tearDown(self):
        self.a.close()
        self.b.close()
        self.assertTrue(self.server.alive(), "the server died")
        self.server.stop()

    def assert_pair_undisturbed(self):
        p99 = relay_p99(self.a, self.b, self.game)
        self.assertLess(p99, RELAY_P99_BOUND_S, f"relay p99 {p99 * 1000:.1f} ms beside the attack")

    def test_frames_that_break_the_framing_close_others_get_bad_payload(self):
        closing = ['42[', '42{"a":1}', '42[1,2]', '42["join_game",', '4', '9', '42"text"', '42[]',
                   '4x["join_game",{}]', '42[null,{}]', '4299999999999999999999999["ping",{}]', b"\x00\x01binary"]
        # A binary event is answered once its attachment has come (binary attachments go only
        # with the participant's data events).
        answered = [('451-["x",{"_placeholder":true,"num":0}]', b"\x01"), ('42/other,["join_game",{}]',)]
        outcomes = {}
        for frames in [(frame,) for frame in closing] + answered:
            raw = RawSocket(self.server.port)
            for frame in frames:
                raw.ws.send_binary(frame) if isinstance(frame, bytes) else raw.ws.send(frame)
            event = raw.next_event()  # answers pings: a close here is the server's, not a ping timeout
            outcomes[frames[0]] = "closed" if event is None else (event[0], (event[1] or {}).get("code"))
            raw.ws.close()
        for frame in closing:
            self.assertEqual(outcomes[frame], "closed", f"{frame!r}")
        for frames in answered:
            self.assertEqual(outcomes[frames[0]], ("error", "bad_payload"), f"{frames!r}")
        self.assert_pair_undisturbed()

    def test_wrong_types_in_every_field_are_bad_payload(self):
        c = self.a  # a player of the game, so that only the payload is wrong
        g = self.game
        cases = [
            ("register_subject", {"subject_id": 5}), ("register_subject", {"subject_id": ["x"]}),
            ("register_subject", {"subject_id": "pair-a", "resume_token": 7}),
            ("join_game", {"rtt_ms": "fast"}), ("join_game", 5),
            ("ping", {"ping_ms": "x"}), ("ping", {"ping_ms": 5, "document_in_focus": "yes"}),
            ("p2p_validation_success", {"game_id": "abc"}), ("p2p_validation_success", {"game_id": {}}),
            ("p2p_validation_failed", {"game_id": g, "reason": 5}),
            ("p2p_connection_lost", {"game_id": g, "frame_number": "x"}),
            ("p2p_reconnection_success", {"game_id": [g]}),
            ("mid_game_exclusion", {"game_id": g, "reason": 7, "frame_number": 1}),
            ("mid_game_exclusion", {"game_id": g, "reason": "bored", "frame_number": 1}),
            ("mid_game_exclusion", {"game_id": g, "reason": "tab_hidden", "frame_number": "x"}),
            ("multiplayer_game_complete", {"game_id": g, "episode_num": "x", "max_episodes": 1}),
            ("multiplayer_game_complete", {"game_id": g, "episode_num": 1, "max_episodes": []}),
            ("emit_multiplayer_metrics", {"game_id": g, "metrics": "not an object"}),
            ("webrtc_signal", {"game_id": g, "target_player_id": "x", "type": "offer", "payload": {}}),
            ("pyodide_player_action", {"game_id": g, "action": {}, "frame_number": "x"}),
        ]
        wrong = []
        for event, payload in cases:
            error = c.error_after(lambda: c.sio.emit(event, payload))
            if error.get("code") != "bad_payload":
                wrong.append((event, payload, error))
        self.assertEqual(wrong, [])
        state = json.loads(self.admin("/admin/state"))
        self.assertEqual(state["games"][str(g)]["status"], "playing", "a bad payload changed the game")
        self.assert_pair_undisturbed()

    def test_ids_of_another_subjects_game_are_refused(self):
        c, d, other_game = started_pair(self.server.url, "other-c", "other-d")
        g = self.game
        attacks = [
            ("mid_game_exclusion", {"game_id": other_game, "reason": "tab_hidden", "frame_number": 1}),
            ("p2p_connection_lost", {"game_id": other_game, "frame_number": 1}),
            ("multiplayer_game_complete", {"game_id": other_game, "episode_num": 9, "max_episodes": 1}),
            ("p2p_validation_failed", {"game_id": other_game, "reason": "ice"}),
            ("emit_multiplayer_metrics", {"game_id": other_game, "metrics": {"x": 1}}),
            ("pyodide_player_action", {"game_id": other_game, "action": {}, "frame_number": 1}),
            ("webrtc_signal", {"game_id": other_game, "target_player_id": 0, "type": "offer", "payload": {}}),
        ]
        codes = [self.a.error_after(lambda e=e, p=p: self.a.sio.emit(e, p))["code"] for e, p in attacks]
        self.assertEqual(set(codes), {"not_in_game"}, codes)
        state = json.loads(self.admin("/admin/state"))
        self.assertEqual(state["games"][str(other_game)]["status"], "playing")
        self.assertEqual(state["games"][str(g)]["status"], "playing")
        self.assertFalse([e for e in c.events + d.events if e[0] == "pyodide_other_player_action"])
        c.close()
        d.close()
        self.assert_pair_undisturbed()

    def test_another_subjects_resume_token_is_a_duplicate_session(self):
        intruder = Player(self.server.url, None)
        mark = len(intruder.events)
        intruder.sio.emit("register_subject", {"subject_id": "pair-b", "resume_token": self.a.token})
        self.assertIn("message", intruder.wait_for("duplicate_session", after=mark))
        state = json.loads(self.admin("/admin/state"))
        self.assertEqual(state["subjects"]["pair-b"]["state"], "in_game")
        self.assertFalse([e for e in self.b.events if e[0] == "session_replaced"])
        intruder.close()
        self.assert_pair_undisturbed()

    def test_a_socket_that_never_answers_pings_is_closed(self):
        silent = RawSocket(self.server.port)
        silent.ws.settimeout(5)
        started = time.monotonic()
        closed = False
        while time.monotonic() - started < 4:
            try:
                frame = silent.ws.recv()  # pings arrive; none is answered
            except (websocket.WebSocketConnectionClosedException, ConnectionError):
                closed = True
                break
            if frame == "":
                closed = True
                break
        self.assertTrue(closed, "a socket that never answers pings was kept open")
        self.assertLess(time.monotonic() - started, 3, "closed later than ping interval + timeout allow")
        deadline = time.monotonic() + 2  # the server's stderr is read by another thread
        while time.monotonic() < deadline and not any('"ping_timeout"' in line for line in self.server.log):
            time.sleep(0.05)
        self.assertTrue(any('"ping_timeout"' in line for line in self.server.log), "closed, but not for a missed pong")

    def test_commands_at_ten_times_the_rate_limit_are_dropped_and_the_pair_plays_on(self):
        flooder = Player(self.server.url, "flooder")
        stop = threading.Event()

        def flood():
            while not stop.is_set():  # 500 a second against a limit of 50
                flooder.sio.emit("ping", {"ping_ms": 5})
                time.sleep(0.002)
        thread = threading.Thread(target=flood)
        thread.start()
        try:
            self.assert_pair_undisturbed()
        finally:
            stop.set()
            thread.join()
        codes = [p.get("code") for name, p, _ in flooder.events if name == "error"]
        pongs = sum(1 for name, _, _ in flooder.events if name == "pong")
        self.assertIn("rate_limited", codes)
        self.assertGreater(pongs, 0, "the flooder's allowed share is still served")
        flooder.close()

    def admin(self, path):
        import urllib.request
        request = urllib.request.Request(self.server.url + path, headers={"Authorization": "Bearer " + TOKEN})
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.read().decode()


class ResourceBoundsTest(unittest.TestCase):
    """The cases that need their own server: a reader that never reads, and 10,000 idle sockets."""

    def test_a_reader_that_never_reads_is_closed_and_memory_stays_bounded(self):
        # Pings far apart: the reader that never reads must be closed by the queue bound, not
        # for a missed pong, and the sender's pongs may wait behind its large frames.
        server = Server(experiment(rate_limit_per_s=10000, max_message_bytes=1024 * 1024,
                                   ping_interval_ms=30000, ping_timeout_ms=30000))
        try:
            sender = Player(server.url, "sender")
            slow = RawSocket(server.port)
            slow.emit("register_subject", {"subject_id": "slow"})
            slow.emit("advance_scene", {})
            for p in (sender,):
                p.sio.emit("advance_scene", {})
                p.sio.emit("join_game", {})
            slow.emit("join_game", {})
            game = sender.wait_for("start_game")["game_id"]
            slow.ws.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)  # and from now on, read nothing
            rss_before = server.rss_kib()
            blob = "z" * (900 * 1024)
            peak = rss_before
            for n in range(120):  # ~108 MB towards a socket that reads none of it
                sender.sio.emit("pyodide_player_action", {"game_id": game, "action": blob, "frame_number": n})
                peak = max(peak, server.rss_kib())
                if any('"slow_reader_closed"' in line for line in server.log):
                    break
                time.sleep(0.01)
            deadline = time.monotonic() + 10
            while time.monotonic() < deadline and not any('"slow_reader_closed"' in l for l in server.log):
                time.sleep(0.1)
            self.assertTrue(any('"slow_reader_closed"' in line for line in server.log), "the slow reader was kept")
            # Its game pauses for the missing player, as for any lost connection.
            sender.wait_for("p2p_pause", timeout=5)
            self.assertLess(peak - rss_before, 96 * 1024 * SLACK, "the server held more than the queue bound allows")
            sender.close()
            self.assertTrue(server.alive())
        finally:
            server.stop()

    def test_an_action_whose_commit_waits_past_the_request_timeout_is_still_answered(self):
        # request_timeout_ms bounds how long a request takes to arrive, not the server's work:
        # an admin action is answered after its commit, and a commit held up longer than that
        # (here by another process holding the log's write lock) must still get its answer.
        import http.client
        import sqlite3
        server = Server(experiment(request_timeout_ms=300))
        try:
            holder = sqlite3.connect(os.path.join(server.dir.name, "log.db"), isolation_level=None,
                                     check_same_thread=False)
            holder.execute("BEGIN IMMEDIATE")  # the writer waits (busy timeout 5 s) until we commit
            threading.Timer(1.0 * SLACK, holder.commit).start()
            connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10 * SLACK)
            started = time.monotonic()
            connection.request("POST", "/admin/actions/close-waitroom", body=json.dumps({"scene_id": "room"}),
                               headers={"Authorization": "Bearer " + TOKEN, "Content-Type": "application/json"})
            try:
                response = connection.getresponse()
            except (http.client.RemoteDisconnected, ConnectionError) as closed:
                self.fail(f"the connection closed without an answer after {time.monotonic() - started:.1f} s: {closed!r}")
            self.assertGreater(time.monotonic() - started, 0.9 * SLACK, "the commit did not wait for the lock")
            self.assertEqual(response.status, 200, response.read())
            self.assertTrue(server.alive())
        finally:
            server.stop()

    def test_a_ping_flood_that_never_reads_its_pongs_leaves_memory_bounded(self):
        # WebSocket pings are answered by Beast itself, past the session's queue: with a pong
        # waiting for a socket that reads nothing, the server reads no further ping (as a TCP
        # socket would make it), rather than gathering pongs without end.
        server = Server(experiment(ping_interval_ms=30000, ping_timeout_ms=30000))
        try:
            flooder = RawSocket(server.port)
            connection = flooder.ws.sock  # reads nothing from now on (its receive buffer left as is:
            connection.settimeout(2)      # a tiny one would drop the server's acks to what it sends)
            ping = b"\x89\xfd\x00\x00\x00\x00" + b"p" * 125  # masked with a zero key: the payload as is
            chunk = ping * 8000  # ~1 MiB, 8,000 pings
            rss_before = peak = server.rss_kib()
            taken = 0
            try:
                for _ in range(160):  # ~160 MiB of pings, each answered with a 127-byte pong
                    connection.sendall(chunk)
                    taken += 1
                    peak = max(peak, server.rss_kib())
            except (TimeoutError, ConnectionResetError, BrokenPipeError):
                pass  # the server stopped reading, or closed the socket
            self.assertLess(taken, 64, f"the server took {taken} MiB of pings it could not answer")
            self.assertLess(peak - rss_before, 48 * 1024 * SLACK, "the server held more than the queue bound allows")
            self.assertTrue(server.alive())
        finally:
            server.stop()

    def test_websocket_pings_at_ten_times_the_rate_limit_are_answered_rate_limited_then_closed(self):
        # Beast answers a WebSocket ping below the session, so these never reach the Engine.IO
        # reader; they count against rate_limit_per_s all the same (docs/server.md, "Bounds").
        # Engine.IO pings far apart: a flooder's pongs are dropped with the excess, and the close
        # checked here is the flood's, not a missed pong's.
        server = Server(experiment(ping_interval_ms=30000, ping_timeout_ms=30000))
        self.addCleanup(server.stop)
        flooder = RawSocket(server.port)
        flooder.ws.settimeout(0.005)
        codes = []
        closed = False
        started = time.monotonic()
        while time.monotonic() - started < 8 * SLACK and not closed:
            try:
                for _ in range(5):  # ~500 a second against a limit of 50
                    flooder.ws.ping(b"p")
                while True:  # read what came: the pongs, Engine.IO pings, the answers
                    opcode, data = flooder.ws.recv_data(control_frame=True)
                    if opcode == websocket.ABNF.OPCODE_CLOSE:
                        closed = True
                        break
                    if data == b"2":
                        flooder.ws.send("3")
                    elif data.startswith(b"42"):
                        name, *args = json.loads(data[2:])
                        if name == "error":
                            codes.append(args[0]["code"])
            except websocket.WebSocketTimeoutException:
                time.sleep(0.005)
            except (websocket.WebSocketConnectionClosedException, ConnectionError):
                closed = True
        self.assertIn("rate_limited", codes, "a ping flood was never answered rate_limited")
        self.assertTrue(closed, "a socket flooding pings for 3 s in a row was kept open")
        deadline = time.monotonic() + 2  # the server's stderr is read by another thread
        while time.monotonic() < deadline and not any('"flood_closed"' in line for line in server.log):
            time.sleep(0.05)
        self.assertTrue(any('"flood_closed"' in line for line in server.log), "closed, but not as a flood: " + "".join(server.log[-8:]))
        self.assertTrue(server.alive())

    def test_a_client_that_closes_while_a_write_is_in_flight_gets_the_close_echoed_after_it(self):
        # RFC 6455 5.5.1: the server answers a close frame with one, after what it was sending.
        server = Server(experiment(rate_limit_per_s=10000, max_message_bytes=1024 * 1024,
                                   ping_interval_ms=30000, ping_timeout_ms=30000))
        try:
            sender = Player(server.url, "sender")
            closer = RawSocket(server.port)
            closer.emit("register_subject", {"subject_id": "closer"})
            closer.emit("advance_scene", {})
            sender.sio.emit("advance_scene", {})
            sender.sio.emit("join_game", {})
            closer.emit("join_game", {})
            game = sender.wait_for("start_game")["game_id"]
            blob = "z" * (900 * 1024)
            for n in range(8):  # ~7 MB towards a socket that reads none of it for now: a write waits
                sender.sio.emit("pyodide_player_action", {"game_id": game, "action": blob, "frame_number": n})
            time.sleep(0.5 * SLACK)  # the relays reach the closer's socket, whose write stalls
            closer.ws.send_close(1000, b"")
            time.sleep(0.3 * SLACK)  # the server has read the close and is echoing it
            sender.sio.emit("pyodide_player_action", {"game_id": game, "action": "late", "frame_number": 99})
            time.sleep(0.3 * SLACK)  # ... and the late action reached the closer's socket
            closer.ws.settimeout(5)
            actions = 0
            while True:
                try:
                    opcode, data = closer.ws.recv_data(control_frame=True)
                except websocket.WebSocketConnectionClosedException:
                    self.fail(f"the connection ended without a close frame, after {actions} relayed actions")
                if opcode == websocket.ABNF.OPCODE_CLOSE:
                    break
                actions += data.startswith(b'42["pyodide_other_player_action"')
            self.assertGreater(actions, 0, "the close frame overtook what was in flight")
            self.assertEqual(data[:2], (1000).to_bytes(2, "big"), "the close was not echoed")
            with self.assertRaises(websocket.WebSocketConnectionClosedException, msg="a frame after the close frame"):
                closer.ws.recv_data(control_frame=True)
            sender.close()
            self.assertTrue(server.alive())
        finally:
            server.stop()

    def test_ten_thousand_idle_sockets_are_held_then_reaped_while_a_pair_plays(self):
        soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
        if hard < 10500:
            self.skipTest(f"this machine allows {hard} open files; 10,000 sockets need more")
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
        # Pings far enough apart that all 10,000 are open before the first are reaped, even
        # under a sanitizer.
        server = Server(experiment(ping_interval_ms=15000 * SLACK, ping_timeout_ms=5000, max_connections=20000,
                                   max_connections_per_address=20000))
        try:
            a, b, game = started_pair(server.url, "calm-a", "calm-b")
            rss_before = server.rss_kib()
            idle = open_idle_sockets(server.port, 10000)
            self.assertEqual(len(idle), 10000, "the server did not accept 10,000 sockets")
            rss_held = server.rss_kib()
            self.assertGreaterEqual(connections(server), 10000)
            p99 = relay_p99(a, b, game)
            self.assertLess(p99, RELAY_P99_BOUND_S, f"relay p99 {p99 * 1000:.1f} ms with 10,000 idle sockets")
            per_socket = (rss_held - rss_before) / 10000
            self.assertLess(per_socket, 20 * SLACK, f"{per_socket:.1f} KiB per idle socket")
            print(f"\n  10,000 idle sockets: {per_socket:.1f} KiB each, relay p99 {p99 * 1000:.1f} ms", flush=True)
            # They never answer a ping: the server closes them all, and the pair plays on.
            deadline = time.monotonic() + 25 * SLACK + 20
            while time.monotonic() < deadline and connections(server) > 2:
                time.sleep(0.5)
            self.assertEqual(connections(server), 2, "idle sockets that never answer pings were kept")
            for connection in idle:
                connection.close()
            self.assertLess(relay_p99(a, b, game), RELAY_P99_BOUND_S)
            a.close()
            b.close()
        finally:
            server.stop()


def open_idle_sockets(port, count):
    """Opens `count` Engine.IO WebSockets that then say nothing; returns those that opened."""
    request = (f"GET /socket.io/?EIO=4&transport=websocket HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
               "Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
               "Sec-WebSocket-Version: 13\r\n\r\n").encode()
    sockets = []
    for _ in range(count):
        connection = socket.create_connection(("127.0.0.1", port), timeout=10)
        connection.sendall(request)
        answer = b""
        while b"\r\n\r\n" not in answer:
            chunk = connection.recv(4096)
            if not chunk:
                break
            answer += chunk
        if answer.startswith(b"HTTP/1.1 101"):
            sockets.append(connection)
        else:
            connection.close()
    return sockets


def connections(server):
    import urllib.request
    with urllib.request.urlopen(server.url + "/metrics", timeout=10) as response:
        return int(re.search(r"^cohort_connections (\d+)", response.read().decode(), re.M).group(1))


def http_request(port, method, path, body=None, headers=None):
    """One HTTP exchange, redirects not followed: (status, headers, body)."""
    import http.client
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        connection.request(method, path, body=body, headers=headers or {})
        response = connection.getresponse()
        return response.status, response.headers, response.read()
    finally:
        connection.close()


def login(port, token, address=None):
    """POST /admin/login, from `address` (X-Forwarded-For: the loopback is a trusted proxy here)."""
    import urllib.parse
    headers = {"Content-Type": "application/x-www-form-urlencoded"}
    if address:
        headers["X-Forwarded-For"] = address
    return http_request(port, "POST", "/admin/login", "token=" + urllib.parse.quote(token), headers)


def token_hash(token):
    """What the log keeps of a resume token: keyless BLAKE2b-256 in hex, as libsodium's generichash."""
    import hashlib
    return hashlib.blake2b(token.encode(), digest_size=32).hexdigest()


class SecretsTest(unittest.TestCase):
    """No secret in any file (issue 15 items 6 and 7): after registrations, resumes, a dashboard
    sign-in and its controls, neither the admin token, any resume token a client received, the
    session's cookie and CSRF token nor a wrong CSRF token sent is in the log's files,
    the server's log lines, /admin/* answers or cohort-replay's trace, timeline and export; the
    sign-in cookie holds a session id with its attributes; wrong tokens are throttled per address."""

    def setUp(self):
        self.server = Server(experiment(trusted_proxies=["127.0.0.1"]))
        self.players = []
        self.stopped = False  # by the test itself

    def tearDown(self):
        for player in self.players:
            player.close()
        if not self.stopped:
            self.assertTrue(self.server.alive(), "the server died")
        self.server.stop()

    def player(self, subject_id, token=None):
        """Registers `subject_id`, presenting `token` when given; returns (player, registered)."""
        p = Player(self.server.url, None)
        self.players.append(p)
        p.sio.emit("register_subject", {"subject_id": subject_id, **({"resume_token": token} if token else {})})
        registered = p.wait_for("registered")
        return p, registered

    def files(self):
        data = b""
        for suffix in ("", "-wal"):
            path = os.path.join(self.server.dir.name, "log.db" + suffix)
            if os.path.exists(path):
                with open(path, "rb") as f:
                    data += f.read()
        return data

    def admin(self, path, cookie):
        status, _, body = http_request(self.server.port, "GET", path, headers={"Cookie": cookie})
        self.assertEqual(status, 200, path)
        return body.decode()

    def test_no_token_in_the_files_the_log_lines_or_what_the_tools_print(self):
        a, b, game = started_pair(self.server.url, "sec-a", "sec-b")
        self.players += [a, b]
        c, first = self.player("sec-c")
        c.close()
        # Back after a disconnect, back into a paused game, and a second tab taking over: each
        # gets the token it presented, in the frame the server sends.
        _, again = self.player("sec-c", first["resume_token"])
        self.assertEqual(again["resume_token"], first["resume_token"])
        b.close()
        a.wait_for("p2p_pause")
        b2, back = self.player("sec-b", b.token)
        self.assertEqual(back["resume_token"], b.token)
        b2.wait_for("session_restored")
        _, tab = self.player("sec-a", a.token)
        self.assertEqual(tab["resume_token"], a.token)
        a.wait_for("session_replaced")
        # A guess is refused, and learns nothing.
        guess = Player(self.server.url, None)
        self.players.append(guess)
        guess.sio.emit("register_subject", {"subject_id": "sec-a", "resume_token": "0" * 32})
        guess.wait_for("duplicate_session")
        status, headers, _ = login(self.server.port, TOKEN)
        self.assertEqual(status, 303)
        cookie = headers["Set-Cookie"].split(";")[0]
        session_id = cookie.split("=", 1)[1]
        # The dashboard's controls, by cookie with the page's CSRF token: accepted, refused by the
        # engine, and refused for a wrong token (a guess that must not be written anywhere either).
        csrf = re.search(r'name="cohort-csrf" content="([0-9a-f]{64})"', self.admin("/admin/", cookie)).group(1)
        wrong_csrf = "e" * 64

        def act(action, body, sent):
            return http_request(self.server.port, "POST", "/admin/actions/" + action, json.dumps(body),
                                {"Cookie": cookie, "X-Cohort-CSRF": sent, "Content-Type": "application/json"})[0]

        self.assertEqual(act("close-waitroom", {"scene_id": "room"}, csrf), 200)
        self.assertEqual(act("close-waitroom", {"scene_id": "room"}, csrf), 409)
        self.assertEqual(act("open-waitroom", {"scene_id": "room"}, wrong_csrf), 403)
        self.assertEqual(act("exclude-subject", {"subject_id": "sec-c", "message": "Thank you."}, csrf), 200)
        # Each is an admin_action log line (read from stderr by another thread: waited for, bounded).
        deadline = time.time() + 5 * SLACK
        while len([line for line in self.server.log if '"admin_action"' in line]) < 4 and time.time() < deadline:
            time.sleep(0.02)
        self.assertEqual(len([line for line in self.server.log if '"admin_action"' in line]), 4)
        answers = "".join(self.admin(path, cookie) for path in
                          ["/admin/state", "/admin/export/sessions", "/admin/export/sessions?format=jsonl",
                           "/admin/timeline?subject=sec-a", f"/admin/timeline?game={game}", "/admin/dashboard"])

        tokens = {payload["resume_token"] for p in self.players for name, payload, _ in p.events
                  if name == "registered" and "resume_token" in payload}
        self.assertEqual(tokens, {a.token, b.token, first["resume_token"]})
        secrets = [TOKEN, *tokens, session_id, csrf, wrong_csrf]
        files = self.files()
        for token in tokens:  # the log keeps the hashes: the right files were read
            self.assertIn(token_hash(token).encode(), files)
        for secret in secrets:
            self.assertNotIn(secret.encode(), files, "a token is in the log's files")
            self.assertNotIn(secret, answers, "an /admin/* answer shows a token")
            self.assertFalse([line for line in self.server.log if secret in line], "a log line shows a token")
        for token in tokens:
            self.assertNotIn(token_hash(token), self.admin("/admin/state", cookie), "/admin/state shows a hash")

        replay = os.path.join(os.path.dirname(SERVER), "cohort-replay")
        db = os.path.join(self.server.dir.name, "log.db")
        printed = ""
        for args in (["trace", db, "--subject", "sec-a"], ["trace", db, "--game", str(game), "--json"],
                     ["timeline", db, "--subject", "sec-b"], ["export", db, "--sessions"],
                     ["export", db, "--sessions", "--format", "jsonl"], ["state", db, "--json"]):
            run = subprocess.run([replay, *args], capture_output=True, text=True, timeout=60)
            self.assertEqual(run.returncode, 0, f"{args}: {run.stderr}")
            printed += run.stdout + run.stderr
        self.assertIn("register_subject", printed)
        for secret in secrets:
            self.assertNotIn(secret, printed, "cohort-replay printed a token")

        # And once the server has stopped, its WAL folded back or not.
        self.server.process.terminate()
        self.server.process.wait(timeout=15)
        self.stopped = True
        files = self.files()
        for secret in secrets:
            self.assertNotIn(secret.encode(), files)

    def test_the_sign_in_cookie_holds_a_session_id_with_its_attributes(self):
        status, headers, _ = login(self.server.port, TOKEN)
        self.assertEqual(status, 303)
        # Relative, and no Path: under a proxy's path prefix both resolve to that prefix's /admin.
        self.assertEqual(headers["Location"], "./")
        cookie = headers["Set-Cookie"]
        attributes = [part.strip() for part in cookie.split(";")]
        name, _, value = attributes[0].partition("=")
        self.assertEqual(name, "cohort_admin")
        self.assertRegex(value, r"^[0-9a-f]{64}$")
        self.assertNotIn(TOKEN, cookie)
        self.assertIn("HttpOnly", attributes)
        self.assertIn("SameSite=Strict", attributes)
        self.assertFalse([a for a in attributes if a.startswith("Path=")])
        self.assertIn("Max-Age=43200", attributes)
        self.assertNotIn("Secure", attributes)  # this server was not told it is behind https
        self.assertEqual(http_request(self.server.port, "GET", "/admin/state", headers={"Cookie": attributes[0]})[0], 200)
        self.assertEqual(http_request(self.server.port, "GET", "/admin/state",
                                      headers={"Cookie": "cohort_admin=" + TOKEN})[0], 401)
        # Scripts keep the Bearer header.
        self.assertEqual(http_request(self.server.port, "GET", "/admin/state",
                                      headers={"Authorization": "Bearer " + TOKEN})[0], 200)
        https = Server(experiment(behind_https=True))
        try:
            _, headers, _ = login(https.port, TOKEN)
            self.assertIn("Secure", [part.strip() for part in headers["Set-Cookie"].split(";")])
        finally:
            https.stop()

    def test_wrong_tokens_are_throttled_per_address(self):
        port = self.server.port
        for _ in range(5):
            self.assertEqual(login(port, "not-the-admin-token", "203.0.113.5")[0], 401)
        status, headers, body = login(port, TOKEN, "203.0.113.5")  # even the right token, now
        self.assertEqual(status, 429)
        self.assertGreater(int(headers["Retry-After"]), 0)
        self.assertLessEqual(int(headers["Retry-After"]), 60)
        self.assertIn(b"try again in", body)
        self.assertNotIn("Set-Cookie", headers)
        status, headers, _ = http_request(port, "GET", "/admin/state",
                                          headers={"Authorization": "Bearer " + TOKEN, "X-Forwarded-For": "203.0.113.5"})
        self.assertEqual(status, 429)
        self.assertIn("Retry-After", headers)
        # A good token from another address still works, by the form and by the header.
        self.assertEqual(login(port, TOKEN, "203.0.113.9")[0], 303)
        self.assertEqual(http_request(port, "GET", "/admin/state",
                                      headers={"Authorization": "Bearer " + TOKEN, "X-Forwarded-For": "203.0.113.9"})[0], 200)
        self.assertTrue(any('"admin_login_throttled"' in line for line in self.server.log) or
                        wait_for_line(self.server, '"admin_login_throttled"'))
        self.assertFalse([line for line in self.server.log if TOKEN in line])

    def test_a_short_admin_token_is_refused_at_start(self):
        with tempfile.TemporaryDirectory() as directory:
            path = os.path.join(directory, "config.json")
            with open(path, "w") as out:
                json.dump(experiment(admin_token="fifteen-chars-x"), out)
            run = subprocess.run([SERVER, "--config", path, "--db", os.path.join(directory, "log.db"), "--port", "0"],
                                 capture_output=True, text=True, timeout=30)
            self.assertEqual(run.returncode, 2)
            self.assertEqual(run.stderr.strip().splitlines(),
                             ["cohort-server: config: server.admin_token: must be at least 16 characters "
                              "(or left out: the server then draws one)"])

    def test_a_drawn_admin_token_is_printed_once_outside_the_json_lines(self):
        config = experiment()
        del config["server"]["admin_token"]
        server = Server(config)
        try:
            deadline = time.monotonic() + 5
            while time.monotonic() < deadline and not any("admin token" in line for line in server.log):
                time.sleep(0.05)
            printed = [line for line in server.log if "admin token" in line]
            self.assertEqual(len(printed), 1, server.log)
            match = re.fullmatch(r"cohort-server: admin token \(printed once\): ([0-9a-f]{32})\n", printed[0])
            self.assertTrue(match, printed[0])
            drawn = match.group(1)
            self.assertEqual(http_request(server.port, "GET", "/admin/state",
                                          headers={"Authorization": "Bearer " + drawn})[0], 200)
            self.assertFalse([line for line in server.log if line.startswith("{") and drawn in line])
            with open(os.path.join(server.dir.name, "log.db"), "rb") as f:
                self.assertNotIn(drawn.encode(), f.read())
        finally:
            server.stop()


def wait_for_line(server, needle, timeout=2.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if any(needle in line for line in server.log):
            return True
        time.sleep(0.05)
    return False


if __name__ == "__main__":
    unittest.main(verbosity=2)
