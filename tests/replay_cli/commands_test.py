#!/usr/bin/python3
"""cohort-replay on questions the log cannot answer and files it would overwrite, as
docs/replay.md states: `trace` of a subject or game the log does not hold and `state --at` past
the last record exit 2 with one line and print nothing on stdout; `export --out` and
`timeline --out` leave an existing file alone unless --force is given. And `trace --json` gives
each payload as a JSON object with its messages decoded.

Usage: commands_test.py REPLAY MAKE_FIXTURE_LOG. Run with /usr/bin/python3.
"""
import json
import os
import re
import subprocess
import sys
import tempfile

CANNOT_RUN = 2


def run(replay, *args):
    return subprocess.run([replay, *args], capture_output=True, text=True, timeout=60)


def refused(name, result, *texts):
    """Problems with a refusal: exit 2, one line on stderr naming `texts`, nothing on stdout."""
    problems = []
    if result.returncode != CANNOT_RUN:
        problems.append(f"exit {result.returncode}, expected {CANNOT_RUN}")
    lines = result.stderr.split("\n")
    if len(lines) != 2 or lines[1] != "" or not lines[0].startswith("cohort-replay: "):
        problems.append(f"stderr is not one 'cohort-replay: ' line: {result.stderr!r}")
    for text in texts:
        if text not in result.stderr:
            problems.append(f"stderr does not say {text!r}: {result.stderr!r}")
    if result.stdout:
        problems.append(f"wrote to stdout: {result.stdout[:200]!r}")
    return [f"{name}: {p}" for p in problems]


def check_unknown_targets(replay, log):
    problems = []
    for args, what in ((["--subject", "nobody"], "no subject nobody in " + log),
                       (["--game", "999"], "no game 999 in " + log),
                       (["--game", "999", "--json"], "no game 999 in " + log)):
        problems += refused("trace " + " ".join(args), run(replay, "trace", log, *args), what)
    return problems


def check_state_past_the_end(replay, log):
    last = int(re.match(r"sound: (\d+) records", run(replay, "verify", log).stdout).group(1))
    problems = refused(f"state --at {last + 1}", run(replay, "state", log, "--at", str(last + 1)),
                       f"--at {last + 1} is past the end", f"its last record is {last}")
    problems += refused("state --at a huge seq", run(replay, "state", log, "--at", "9" * 30), "past the end")
    at_last = run(replay, "state", log, "--at", str(last))
    if at_last.returncode != 0 or at_last.stdout != run(replay, "state", log).stdout:
        problems.append(f"state --at {last} (the last record): exit {at_last.returncode}, not the state at the end")
    return problems


def check_out_is_not_overwritten(replay, log, tmp):
    problems = []
    for command in (["export", log, "--sessions"], ["timeline", log, "--game", "3"]):
        name = " ".join([command[0], *command[2:]])
        out = os.path.join(tmp, command[0] + ".out")
        with open(out, "w") as existing:
            existing.write("keep me\n")
        problems += refused(f"{name} --out over a file", run(replay, *command, "--out", out), out, "--force")
        with open(out) as kept:
            if kept.read() != "keep me\n":
                problems.append(f"{name} --out without --force changed the file")
        forced = run(replay, *command, "--out", out, "--force")
        with open(out) as written:
            if forced.returncode != 0 or written.read() != run(replay, *command).stdout:
                problems.append(f"{name} --out --force: exit {forced.returncode}, the file is not the output")
        fresh = os.path.join(tmp, command[0] + ".new")
        if run(replay, *command, "--out", fresh).returncode != 0 or not os.path.exists(fresh):
            problems.append(f"{name} --out to a new file did not write it")
    return problems


def check_trace_json(replay, log):
    result = run(replay, "trace", log, "--subject", "fay", "--json")
    if result.returncode != 0:
        return [f"trace --subject fay --json: exit {result.returncode}: {result.stderr}"]
    problems = []
    records = [json.loads(line) for line in result.stdout.splitlines()]
    for record in records:
        if not isinstance(record["payload"], dict):
            problems.append(f"record {record['seq']}: the payload is not an object: {record['payload']!r}")
    notifications = [r for r in records if r["type"] == "notification"]
    if not notifications:
        problems.append("fay's trace holds no notification")
    for record in notifications:
        payload = record["payload"]
        if not isinstance(payload.get("args"), (dict, list)) or not isinstance(payload.get("conn"), int):
            problems.append(f"record {record['seq']}: args not decoded to JSON, or conn not a number: {payload!r}")
    if "%20" in result.stdout or "%2C" in result.stdout:
        problems.append("a payload still holds the log's percent escapes")
    created = [r for r in records if r["type"] == "game_created"]
    if not created or not isinstance(created[0]["payload"].get("players"), list):
        problems.append(f"game_created's players are not a list: {created[:1]!r}")
    return problems


def main():
    replay, make_fixture_log = (os.path.abspath(p) for p in sys.argv[1:3])
    with tempfile.TemporaryDirectory() as tmp:
        log = os.path.join(tmp, "clean.db")
        subprocess.run([make_fixture_log, log], check=True)
        problems = (check_unknown_targets(replay, log) + check_state_past_the_end(replay, log)
                    + check_out_is_not_overwritten(replay, log, tmp) + check_trace_json(replay, log))
    for problem in problems:
        print("FAIL " + problem)
    print("ok" if not problems else f"{len(problems)} problems")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
