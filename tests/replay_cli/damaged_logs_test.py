#!/usr/bin/python3
"""Every cohort-replay command on a log it cannot trust: one clear line, a non-zero exit that
is not a crash, nothing half-printed, and the file's bytes as they were.

The damaged logs are the fixture study written through the engine, then damaged by
make_fixture_log (tests/fixtures/log_damage.h), plus files that are not Cohort logs at all.
Usage: damaged_logs_test.py REPLAY MAKE_FIXTURE_LOG
"""
import hashlib
import os
import sqlite3
import subprocess
import sys
import tempfile

COMMANDS = [
    ["verify"],
    ["state"],
    ["state", "--json"],
    ["state", "--at", "250"],
    ["trace", "--subject", "fay"],
    ["trace", "--game", "3", "--json"],
    ["audit"],
    ["rerun"],
    ["export", "--sessions"],
    ["export", "--sessions", "--format", "jsonl"],
    ["timeline", "--game", "8"],  # runs to the end of the log: its scan meets the damage
    ["timeline", "--subject", "fay"],
]


def make_cases(tmp, make_fixture_log):
    """(name, path, what stderr must say, exit of verify, what verify prints on stdout)."""
    def fixture(name, *damage):
        path = os.path.join(tmp, name + ".db")
        subprocess.run([make_fixture_log, path, *damage], check=True)
        return path

    junk = os.path.join(tmp, "junk.db")
    with open(junk, "wb") as out:
        out.write(b"this is a spreadsheet, not a database\n" * 200)
    foreign = os.path.join(tmp, "foreign.db")
    with sqlite3.connect(foreign) as db:
        db.execute("CREATE TABLE responses (participant TEXT, answer TEXT)")
    empty = os.path.join(tmp, "empty.db")
    open(empty, "wb").close()
    damaged = "the log is damaged (cohort-replay verify names the first fault)"
    # The schema this build writes, and so reads up to: a new fixture log's own.
    with sqlite3.connect(fixture("current")) as db:
        current_schema = db.execute("PRAGMA user_version").fetchone()[0]
    return [
        ("corrupted payload", fixture("payload", "--corrupt-payload", "200"),
         "record 200: checksum mismatch; " + damaged, 1, "unsound: record 200: checksum mismatch\n"),
        ("deleted record", fixture("gap", "--delete-record", "200"),
         "record 201: position gap, expected 200; " + damaged, 1,
         "unsound: record 201: position gap: expected 200\n"),
        ("newer schema", fixture("newer", "--schema-version", "99"),
         f"written by a newer Cohort (schema 99, this build reads up to {current_schema})", 2, ""),
        ("not SQLite", junk, "cannot read it as a Cohort log", 2, ""),
        ("SQLite of something else", foreign, "not a Cohort log", 2, ""),
        ("empty file", empty, "not a Cohort log", 2, ""),
        ("missing file", os.path.join(tmp, "missing.db"), "no such file", 2, ""),
    ]


def digest(path):
    if not os.path.exists(path):
        return None
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def check(replay, case, command):
    name, path, says, verify_exit, verify_stdout = case
    before = digest(path)
    run = subprocess.run([replay, command[0], path, *command[1:]], capture_output=True, text=True)
    label = f"{name}: {' '.join(command)}"
    problems = []
    expected_exit = verify_exit if command[0] == "verify" else 2
    if run.returncode != expected_exit:
        problems.append(f"exit {run.returncode}, expected {expected_exit}")
    if command[0] == "verify" and verify_exit == 1:
        if run.stdout != verify_stdout:
            problems.append(f"stdout {run.stdout!r}, expected {verify_stdout!r}")
    else:
        lines = run.stderr.splitlines()
        if len(lines) != 1 or not lines[0].startswith("cohort-replay: ") or says not in lines[0]:
            problems.append(f"stderr {run.stderr!r}, expected one line saying {says!r}")
        if run.stdout:
            problems.append(f"printed {len(run.stdout)} characters before failing")
    if digest(path) != before:
        problems.append("the file changed")
    if not os.path.exists(path) and before is not None:
        problems.append("the file is gone")
    if before is None and os.path.exists(path):
        problems.append("a missing log was created")
    print(("FAIL " if problems else "ok   ") + label + "".join("\n     " + p for p in problems))
    return not problems


def check_state_before_damage(replay, make_fixture_log, tmp, cases):
    """The records before the first fault are sound: the state at one of them is still given,
    and is the state the undamaged log gives there."""
    clean = os.path.join(tmp, "clean.db")
    subprocess.run([make_fixture_log, clean], check=True)
    # Reads that stop before the fault (state --at, the timeline of a game that ended before it)
    # give what they give on the clean log: the damage lies beyond what they read.
    results = []
    for command in (["state", "--at", "150"], ["timeline", "--game", "3"]):
        expected = subprocess.run([replay, command[0], clean, *command[1:]], capture_output=True, text=True)
        for name, path, *_ in cases[:2]:
            run = subprocess.run([replay, command[0], path, *command[1:]], capture_output=True, text=True)
            ok = run.returncode == 0 and run.stdout == expected.stdout and expected.stdout
            print(("ok   " if ok else "FAIL ") + f"{name}: {' '.join(command)}, before the fault, as in the clean log"
                  + ("" if ok else f"\n     exit {run.returncode}: {run.stdout[:80]!r} {run.stderr!r}"))
            results.append(bool(ok))
    return results


def check_missing_targets(replay, make_fixture_log, tmp):
    """trace and timeline on a sound log: no target, or one the log does not hold."""
    clean = os.path.join(tmp, "targets.db")
    subprocess.run([make_fixture_log, clean], check=True)
    results = []
    for command, message in [
        (["timeline", clean, "--game", "99"], f"cohort-replay: no game 99 in {clean}\n"),
        (["timeline", clean, "--subject", "nobody"], f"cohort-replay: no subject nobody in {clean}\n"),
        (["timeline", clean], "cohort-replay: timeline needs --subject ID or --game ID\n"),
        (["trace", clean], "cohort-replay: trace needs --subject ID or --game ID (or --admin)\n"),
    ]:
        run = subprocess.run([replay, *command], capture_output=True, text=True)
        ok = run.returncode == 2 and run.stdout == "" and run.stderr == message
        print(("ok   " if ok else "FAIL ") + " ".join(command[:1] + command[2:])
              + ("" if ok else f"\n     exit {run.returncode}: {run.stdout[:80]!r} {run.stderr!r}"))
        results.append(ok)
    # The researcher's commands: none in this log is an empty answer, not a refusal; --admin
    # with a subject is a bad command line.
    for command, code in [(["trace", clean, "--admin"], 0), (["trace", clean, "--admin", "--subject", "fay"], 2)]:
        run = subprocess.run([replay, *command], capture_output=True, text=True)
        ok = run.returncode == code and run.stdout == "" and (code == 0) == (run.stderr == "")
        print(("ok   " if ok else "FAIL ") + " ".join(command[:1] + command[2:])
              + ("" if ok else f"\n     exit {run.returncode}: {run.stdout[:80]!r} {run.stderr!r}"))
        results.append(ok)
    return results


def check_deep_config(replay, make_fixture_log, tmp):
    """A copied log whose meta.config nests 200,000 levels (issue 15): every command that reads
    the config refuses it with one line naming the limit, no crash; verify, which reads only the
    records, still finds them sound."""
    path = os.path.join(tmp, "deep_config.db")
    subprocess.run([make_fixture_log, path], check=True)
    with sqlite3.connect(path) as db:
        db.execute("UPDATE meta SET value = ? WHERE key = 'config'", ("[" * 200000 + "]" * 200000,))
    db.close()
    says = f"{path}: the recorded config: nested deeper than 64 levels"
    case = ("config nested 200,000 deep", path, says, None, "")
    results = [check(replay, case, command) for command in COMMANDS if command[0] != "verify"]
    run = subprocess.run([replay, "verify", path], capture_output=True, text=True)
    ok = run.returncode == 0 and run.stdout.startswith("sound: ") and not run.stderr
    print(("ok   " if ok else "FAIL ") + "config nested 200,000 deep: verify reads the records, sound"
          + ("" if ok else f"\n     exit {run.returncode}: {run.stdout[:80]!r} {run.stderr!r}"))
    return results + [ok]


def main():
    replay, make_fixture_log = sys.argv[1:3]
    with tempfile.TemporaryDirectory() as tmp:
        cases = make_cases(tmp, make_fixture_log)
        results = [check(replay, case, command) for case in cases for command in COMMANDS]
        results += check_state_before_damage(replay, make_fixture_log, tmp, cases)
        results += check_missing_targets(replay, make_fixture_log, tmp)
        results += check_deep_config(replay, make_fixture_log, tmp)
    print(f"{results.count(True)} of {len(results)} passed")
    return 0 if all(results) else 1


if __name__ == "__main__":
    sys.exit(main())
