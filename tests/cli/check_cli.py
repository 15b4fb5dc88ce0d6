#!/usr/bin/python3
"""The programs' refusals, as PROTOCOL.md section 1 states them: on a bad flag, an unreadable
config or a log it cannot open, a program exits non-zero with a one-line reason. Each case
checks the exit code the program uses today, that stderr is exactly one line starting with the
program's name and naming what was wrong (the flag, the file, the config key's path) in plain
words, with no library's internals (a header path), that nothing went to stdout, and that no
log file was created (but where the port is taken: the log is opened before the port).

Usage: check_cli.py cohort-server|cohort-replay PROGRAM
Run with /usr/bin/python3. Prints one line per case; exit 1 if any failed.
"""
import json
import os
import socket
import subprocess
import sys
import tempfile

# Exit codes: both programs use 2 for "could not run" (server/main.cpp returns 2 on a parse
# error and on a ConfigError; replay-tool/main.cpp's kCannotRun is 2, PROTOCOL.md 6 keeps 0/1
# for the commands' verdicts).
CANNOT_RUN = 2
# cohort-server's exit when it could not start: the log cannot be opened, the port is taken.
CANNOT_START = 1

GOOD_SCENES = [{"scene_id": "consent", "type": "static"},
               {"scene_id": "room", "type": "game", "human_seats": 2}]


def server_cases(tmp, busy_port):
    """(name, arguments, expected exit, texts the one line must contain, files that must not
    appear). `busy_port` is a port some other socket listens on."""
    log = os.path.join(tmp, "server.db")
    missing_dir_log = os.path.join(tmp, "no-such-dir", "study.db")
    missing = os.path.join(tmp, "no-such-config.json")
    unknown_key = os.path.join(tmp, "unknown-key.json")
    with open(unknown_key, "w") as out:
        scenes = [dict(s) for s in GOOD_SCENES]
        scenes[1]["matchmaker"] = {"kind": "fifo", "max_rtt": 300}  # the key is max_rtt_ms
        json.dump({"experiment_id": "cli", "scenes": scenes}, out)
    unknown_server_key = os.path.join(tmp, "unknown-server-key.json")
    with open(unknown_server_key, "w") as out:
        json.dump({"experiment_id": "cli", "server": {"durabilty": "full"}, "scenes": GOOD_SCENES}, out)
    typo = os.path.join(tmp, "typo.json")
    with open(typo, "w") as out:
        scenes = [dict(s) for s in GOOD_SCENES]
        scenes[1]["waitroom_timeout"] = 60000  # the key is waitroom_timeout_ms
        json.dump({"experiment_id": "cli", "scenes": scenes}, out)
    misplaced = os.path.join(tmp, "misplaced.json")
    with open(misplaced, "w") as out:
        json.dump({"experiment_id": "cli", "matchmaker": {"kind": "fifo"}, "scenes": GOOD_SCENES}, out)
    on_static = os.path.join(tmp, "on-static.json")
    with open(on_static, "w") as out:
        scenes = [dict(s) for s in GOOD_SCENES]
        scenes[0]["human_seats"] = 2
        json.dump({"experiment_id": "cli", "scenes": scenes}, out)
    deep = os.path.join(tmp, "deep.json")  # issue 15: RapidJSON's recursive parser crashed on this
    with open(deep, "w") as out:
        out.write("[" * 200000 + "]" * 200000)
    missing_token_file = os.path.join(tmp, "no-such-token")
    short_token_file = os.path.join(tmp, "short-token")
    with open(short_token_file, "w") as out:
        out.write("too-short\n")
    # --port 0 and --db in the scratch directory everywhere: were a refusal to fail, the server
    # would start on a free port and a scratch log, not on 8080 and ./cohort.db.
    where = ["--port", "0", "--db", log]
    return [
        ("unknown flag", ["--no-such-flag", *where], CANNOT_RUN, ["--no-such-flag"], [log]),
        ("unreadable config (no such file)", ["--config", missing, *where], CANNOT_RUN, [missing], [log]),
        ("config with an unknown key in a scene", ["--config", unknown_key, *where], CANNOT_RUN,
         ["scenes[1].matchmaker.max_rtt", "unknown key"], [log]),
        ("config with an unknown key under server", ["--config", unknown_server_key, *where], CANNOT_RUN,
         ["server.durabilty", "unknown key"], [log]),
        ("admin token file that does not exist", ["--admin-token-file", missing_token_file, *where], CANNOT_RUN,
         ["--admin-token-file", missing_token_file], [log]),
        ("admin token file with a short token", ["--admin-token-file", short_token_file, *where], CANNOT_RUN,
         ["--admin-token-file", short_token_file, "at least 16"], [log]),
        ("config with a typo: the nearest key", ["--config", typo, *where], CANNOT_RUN,
         ["scenes[1].waitroom_timeout", "did you mean waitroom_timeout_ms?"], [log]),
        ("config with a per-scene key at the top: where it belongs", ["--config", misplaced, *where], CANNOT_RUN,
         ["config: matchmaker: ", "put it in a game scene"], [log]),
        ("config with a game key on a static scene", ["--config", on_static, *where], CANNOT_RUN,
         ["scenes[0].human_seats", "not allowed in a static scene"], [log]),
        ("--address that is neither an IP address nor a host name",
         ["--address", "no-such-host.invalid", *where], CANNOT_RUN,
         ["--address no-such-host.invalid", "give an IP address"], [log]),
        ("--db in a directory that does not exist", ["--port", "0", "--db", missing_dir_log], CANNOT_START,
         [missing_dir_log, os.path.dirname(missing_dir_log) + " does not exist"], [os.path.dirname(missing_dir_log)]),
        ("a port in use: one plain line, no library internals",
         ["--address", "127.0.0.1", "--port", str(busy_port), "--db", os.path.join(tmp, "busy.db")], CANNOT_START,
         [f"cohort-server: cannot listen on 127.0.0.1:{busy_port}: address already in use"], []),
        ("config nested 200,000 levels deep", ["--config", deep, *where], CANNOT_RUN,
         ["config: nested deeper than 64 levels"], [log]),
    ]


def replay_cases(tmp):
    missing = os.path.join(tmp, "no-such-log.db")
    return [
        ("unknown flag after the command", ["verify", missing, "--no-such-flag"], CANNOT_RUN, ["--no-such-flag"],
         [missing]),
        ("unknown flag before the command", ["--no-such-flag", "state", missing], CANNOT_RUN, ["--no-such-flag"],
         [missing]),
        ("log that does not exist: verify", ["verify", missing], CANNOT_RUN, [missing, "no such file"], [missing]),
        ("log that does not exist: export", ["export", missing, "--sessions"], CANNOT_RUN,
         [missing, "no such file"], [missing]),
    ]


def check(program, path, case, tmp):
    name, args, expected_exit, must_name, must_not_exist = case
    try:
        run = subprocess.run([path, *args], capture_output=True, text=True, timeout=20, cwd=tmp)
    except subprocess.TimeoutExpired:
        return [f"still running after 20 s: it did not refuse"]
    problems = []
    if run.returncode != expected_exit:
        problems.append(f"exit {run.returncode}, expected {expected_exit}")
    lines = run.stderr.split("\n")
    if len(lines) != 2 or lines[1] != "" or not lines[0]:
        problems.append(f"stderr is not exactly one line: {run.stderr!r}")
    line = lines[0]
    if not line.startswith(program + ": "):
        problems.append(f"the line does not start with '{program}: ': {line!r}")
    for internal in ("/usr/include", ".hpp", "boost"):
        if internal in line:
            problems.append(f"the line shows a library's internals ({internal!r}): {line!r}")
    for text in must_name:
        if text not in line:
            problems.append(f"the line does not name {text!r}: {line!r}")
    if run.stdout:
        problems.append(f"wrote to stdout: {run.stdout[:200]!r}")
    for file in must_not_exist:
        if os.path.exists(file):
            problems.append(f"created {file}")
    return problems


def main():
    if len(sys.argv) != 3 or sys.argv[1] not in ("cohort-server", "cohort-replay"):
        print(__doc__, file=sys.stderr)
        return 2
    program, path = sys.argv[1], os.path.abspath(sys.argv[2])  # the cases run in a scratch directory
    failures = 0
    with tempfile.TemporaryDirectory() as tmp, socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        cases = server_cases(tmp, busy.getsockname()[1]) if program == "cohort-server" else replay_cases(tmp)
        for case in cases:
            problems = check(program, path, case, tmp)
            failures += bool(problems)
            print(("FAIL " if problems else "ok   ") + f"{program} {case[0]}"
                  + "".join("\n     " + p for p in problems), flush=True)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
