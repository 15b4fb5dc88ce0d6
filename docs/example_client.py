#!/usr/bin/python3
"""Plays the demo experiment against a running cohort-server: two participants register,
pass the consent scene, are matched, play a few frames, finish their episode and reach the end.

    scripts/demo                            # terminal 1
    /usr/bin/python3 docs/example_client.py # terminal 2 (Debian's python3-socketio)

Options: --url http://127.0.0.1:8080  --episodes 1
"""
import argparse
import threading
import time

import socketio


def play(url, subject_id, episodes, log):
    sio = socketio.Client(reconnection=False)
    started = threading.Event()
    ended = threading.Event()
    state = {}

    @sio.on("*")
    def on_event(event, *args):
        payload = args[0] if args else None
        log(f"{subject_id} <- {event} {payload if payload else ''}")
        if event == "start_game":
            state["game_id"] = payload["game_id"]
            started.set()
        if event == "end_game":
            ended.set()

    sio.connect(url, transports=["websocket"])
    sio.emit("register_subject", {"subject_id": subject_id})
    time.sleep(0.3)
    sio.emit("advance_scene", {})  # consent -> the game scene
    time.sleep(0.3)
    sio.emit("join_game", {"rtt_ms": 20})
    if not started.wait(timeout=150):
        log(f"{subject_id}: no game started")
        sio.disconnect()
        return
    game = state["game_id"]
    for frame in range(5):
        sio.emit("pyodide_player_action", {"game_id": game, "action": frame % 4, "frame_number": frame})
        time.sleep(0.1)
    ack = sio.call("emit_multiplayer_metrics", {"game_id": game, "metrics": {"score": 10}}, timeout=5)
    log(f"{subject_id}: metrics stored: {ack}")
    for episode in range(1, episodes + 1):
        sio.emit("multiplayer_game_complete", {"game_id": game, "episode_num": episode, "max_episodes": episodes})
    # The last episode ends the game normally, and no end_game is sent for that: the client moves
    # on by itself. end_game comes only for a partial end (the partner left, disconnected...).
    ended.wait(timeout=0.5)
    sio.emit("advance_scene", {})  # -> end: the experiment is complete
    time.sleep(0.5)
    sio.disconnect()


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--url", default="http://127.0.0.1:8080")
    parser.add_argument("--episodes", type=int, default=1)
    args = parser.parse_args()
    lock = threading.Lock()

    def log(line):
        with lock:
            print(line, flush=True)

    suffix = str(int(time.time()))
    players = [threading.Thread(target=play, args=(args.url, f"demo-{name}-{suffix}", args.episodes, log))
               for name in ("alice", "bob")]
    for p in players:
        p.start()
        time.sleep(0.2)
    for p in players:
        p.join()


if __name__ == "__main__":
    main()
