#!/usr/bin/python3
"""The programs' refusals, as PROTOCOL.md section 1 states them: on a bad flag, an unreadable
config or a log it cannot open, a program exits non-zero with a one-line reason. Each case
checks the exit code the program uses today, that stderr is exactly one line starting with the
program's name and naming what was wrong (the flag, the file, the config key's path), that
nothing went to stdout, and that no log file was created.

Usage: check_cli.py cohort-server|cohort-replay PROGRAM
Run with /usr/bin/python3. Prints one line per case; exit 1 if any failed.
"""
import json
import os
import subprocess
import sys
import tempfile

# Exit codes: both programs use 2 for "could not run" (server/main.cpp returns 2 on a parse
# error and on a ConfigError; replay-tool/main.cpp's kCannotRun is 2, PROTOCOL.md 6 keeps 0/1
# for the commands' verdicts).
CANNOT_RUN = 2

GOOD_SCENES = [{"scene_id": "consent", "type": "static"},
               {"scene_id": "room", "type": "game", "human_seats": 2}]


def server_cases(tmp):
    """(name, arguments, expected exit, texts the one line must contain, files that must not
    appear)."""
    log = os.path.join(tmp, "server.db")
    missing = os.path.join(tmp, "no-such-config.json")
    unknown_key = os.path.join(tmp, "unknown-key.json")
    with open(unknown_key, "w") as out:
        scenes = [dict(s) for s in GOOD_SCENES]
        scenes[1]["matchmaker"] = {"kind": "fifo", "max_rtt": 300}  # the key is max_rtt_ms
        json.dump({"experiment_id": "cli", "scenes": scenes}, out)
    unknown_server_key = os.path.join(tmp, "unknown-server-key.json")
    with open(unknown_server_key, "w") as out:
        json.dump({"experiment_id": "cli", "server": {"durabilty": "full"}, "scenes": GOOD_SCENES}, out)
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
    with tempfile.TemporaryDirectory() as tmp:
        cases = server_cases(tmp) if program == "cohort-server" else replay_cases(tmp)
        for case in cases:
            problems = check(program, path, case, tmp)
            failures += bool(problems)
            print(("FAIL " if problems else "ok   ") + f"{program} {case[0]}"
                  + "".join("\n     " + p for p in problems), flush=True)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
