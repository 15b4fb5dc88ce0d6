#!/usr/bin/python3
"""Golden outputs of cohort-replay on the fixture study (tests/fixtures/fixture_study.cpp).

The fixture is written through the engine and the store by make_fixture_log, so a change to
the decider, the codec or the output formats shows here as a diff a reviewer reads. After an
intended change: tests/golden/check_golden.py REPLAY MAKE_FIXTURE_LOG --update, and review the
diff of tests/golden/ before committing it.
"""
import argparse
import csv
import difflib
import io
import json
import pathlib
import re
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ElementTree

HERE = pathlib.Path(__file__).resolve().parent
REPLAY_DOC = HERE.parent.parent / "docs" / "replay.md"

# PROTOCOL.md section 6, "Sessions export columns", in its order. Columns the export adds must
# come after these, and each must be documented in docs/replay.md's "The sessions export".
PROTOCOL_SESSION_COLUMNS = [
    "game_id", "scene_id", "subject_id", "player_id", "partner_subject_ids", "matched_at", "started_at",
    "ended_at", "duration_ms", "waited_ms", "is_partial", "termination_reason", "termination_frame",
    "completed_episodes", "excluded_reason", "disconnected_player_id", "pause_count", "total_pause_ms",
]

# (golden file, fixture, arguments after the log, expected exit code)
CASES = [
    ("verify.txt", "clean", ["verify"], 0),
    ("state.txt", "clean", ["state"], 0),
    ("state.json", "clean", ["state", "--json"], 0),
    ("state-at-146.txt", "clean", ["state", "--at", "146"], 0),
    ("state-at-time.txt", "clean", ["state", "--at", "2023-11-14T22:15:00Z"], 0),
    ("trace-subject-fay.txt", "clean", ["trace", "--subject", "fay"], 0),
    ("trace-game-7.jsonl", "clean", ["trace", "--game", "7", "--json"], 0),
    ("sessions.csv", "clean", ["export", "--sessions"], 0),
    ("sessions.jsonl", "clean", ["export", "--sessions", "--format", "jsonl"], 0),
    ("subjects.csv", "clean", ["export", "--subjects"], 0),
    ("subjects.jsonl", "clean", ["export", "--subjects", "--format", "jsonl"], 0),
    ("audit.txt", "clean", ["audit"], 0),
    ("rerun.txt", "clean", ["rerun"], 0),
    ("timeline-game-3.svg", "clean", ["timeline", "--game", "3"], 0),
    ("timeline-game-4.svg", "clean", ["timeline", "--game", "4"], 0),
    ("timeline-game-8.svg", "clean", ["timeline", "--game", "8"], 0),
    ("timeline-subject-fay.svg", "clean", ["timeline", "--subject", "fay"], 0),
    ("routing-bug-state.txt", "routing_bug", ["state"], 0),
    ("routing-bug-audit.txt", "routing_bug", ["audit"], 1),
    ("routing-bug-rerun.txt", "routing_bug", ["rerun"], 1),
]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("replay")
    parser.add_argument("make_fixture_log")
    parser.add_argument("--update", action="store_true", help="rewrite the golden files")
    args = parser.parse_args()
    failures = 0
    with tempfile.TemporaryDirectory() as tmp:
        logs = {"clean": f"{tmp}/clean.db", "routing_bug": f"{tmp}/routing_bug.db"}
        subprocess.run([args.make_fixture_log, logs["clean"]], check=True)
        subprocess.run([args.make_fixture_log, logs["routing_bug"], "--routing-bug"], check=True)
        for golden, fixture, command, expected_exit in CASES:
            # Bytes, not text: the CSV's CRLF line ends are part of what is checked.
            run = subprocess.run([args.replay, command[0], logs[fixture], *command[1:]],
                                 capture_output=True)
            output = run.stdout.decode()
            path = HERE / golden
            if args.update:
                path.write_bytes(run.stdout)
            if run.returncode != expected_exit:
                failures += 1
                print(f"FAIL {golden}: exit {run.returncode}, expected {expected_exit}\n"
                      f"{run.stderr.decode()}")
                continue
            expected = path.read_bytes().decode() if path.exists() else ""
            if output != expected:
                failures += 1
                diff = difflib.unified_diff(expected.splitlines(True), output.splitlines(True),
                                            f"golden/{golden}", "now")
                print(f"FAIL {golden}: output differs\n{''.join(diff)}")
            else:
                print(f"ok   {golden}")
        failures += check_export_columns(logs["clean"], args.replay)
        failures += check_subjects_columns_documented(logs["clean"], args.replay)
        failures += check_csv_reads_plainly(logs["clean"], args.replay)
        failures += check_timelines_agree_with_export(logs["clean"], args.replay)
    failures += check_invariants_worded_alike()
    return 1 if failures else 0


def invariants_listed(doc):
    """The numbered list under the first heading of `doc` that starts with "## Invariants"."""
    text = (HERE.parent.parent / "docs" / doc).read_text()
    section = text[text.index("\n## Invariants"):]
    return re.search(r"^1\. .*?(?=\n\n)", section, re.S | re.M).group(0)


def check_invariants_worded_alike():
    """The audit's invariants read the same wherever the docs list them: a violation's number
    means one thing."""
    engine, replay = invariants_listed("engine.md"), invariants_listed("replay.md")
    if engine.count("\n7. ") != 1 or engine != replay:
        diff = difflib.unified_diff(engine.splitlines(True), replay.splitlines(True), "docs/engine.md", "docs/replay.md")
        print("FAIL the invariants are worded differently\n" + "".join(diff))
        return 1
    print("ok   the invariants read the same in docs/engine.md and docs/replay.md")
    return 0


def documented_export_columns():
    """The column names in backticks in docs/replay.md's section on the sessions export."""
    text = REPLAY_DOC.read_text()
    start = text.index("### The sessions export")
    end = text.find("\n#", start + 1)
    return set(re.findall(r"`([a-z_]+)`", text[start:end if end != -1 else None]))


def check_subjects_columns_documented(log, replay):
    """The subjects export's columns are those docs/replay.md's table lists, in its order."""
    text = REPLAY_DOC.read_text()
    start = text.index("### The subjects export")
    section = text[start:text.index("`outcome` is one of", start)]  # the columns' table, not the outcomes'
    documented = re.findall(r"^\| `([a-z_]+)` \|", section, re.MULTILINE)
    csv_text = subprocess.run([replay, "export", log, "--subjects"], capture_output=True, check=True).stdout.decode()
    header = next(csv.reader(io.StringIO(csv_text, newline="")))
    ok = header == documented
    print(("ok  " if ok else "FAIL") + f" subjects export columns are docs/replay.md's: {header} vs {documented}")
    return 0 if ok else 1


def check_export_columns(log, replay):
    """The sessions export's columns: PROTOCOL.md 6's, exactly and in their order, then only
    columns docs/replay.md documents; the CSV header, every JSONL object's keys and the golden
    CSV's header all the same."""
    csv_text = subprocess.run([replay, "export", log, "--sessions"], capture_output=True, check=True).stdout.decode()
    jsonl_text = subprocess.run([replay, "export", log, "--sessions", "--format", "jsonl"], capture_output=True,
                                check=True).stdout.decode()
    header = next(csv.reader(io.StringIO(csv_text, newline="")))
    problems = []
    n = len(PROTOCOL_SESSION_COLUMNS)
    if header[:n] != PROTOCOL_SESSION_COLUMNS:
        problems.append(f"the first {n} columns are {header[:n]}, PROTOCOL.md 6 says {PROTOCOL_SESSION_COLUMNS}")
    extras = header[n:]
    documented = documented_export_columns()
    for column in extras:
        if column in PROTOCOL_SESSION_COLUMNS:
            problems.append(f"PROTOCOL.md's column {column} comes after the first {n}")
        elif header.count(column) > 1:
            problems.append(f"column {column} appears more than once")
        elif column not in documented:
            problems.append(f"extra column {column} is not documented in docs/replay.md (The sessions export)")
    for number, line in enumerate(jsonl_text.splitlines(), 1):
        keys = list(json.loads(line))
        if keys != header:
            problems.append(f"JSONL line {number} has keys {keys}, the CSV header is {header}")
            break
    golden = next(csv.reader(io.StringIO((HERE / "sessions.csv").read_bytes().decode(), newline="")))
    if golden != header:
        problems.append(f"golden/sessions.csv's header {golden} is not the export's")
    print(("FAIL" if problems else "ok  ") + f" sessions export columns: PROTOCOL.md 6's {n} in order, then documented extras "
          f"only (here {extras})" + "".join("\n     " + p for p in problems))
    return 1 if problems else 0


def check_csv_reads_plainly(log, replay):
    """The CSV as a reader with default options sees it (Python's csv module, as pandas and R
    read RFC 4180): the header's columns on every row, running games with no end."""
    text = subprocess.run([replay, "export", log, "--sessions"], capture_output=True, check=True).stdout.decode()
    rows = list(csv.DictReader(io.StringIO(text, newline="")))
    problems = []
    for row in rows:
        if None in row or None in row.values():
            problems.append(f"row of game {row['game_id']} has {len(row)} cells")
        running = row["running"] == "true"
        if running != (row["ended_at"] == "" and row["termination_reason"] == "" and row["is_partial"] == ""):
            problems.append(f"game {row['game_id']}: running={row['running']} but ended_at={row['ended_at']!r}")
    if not any(row["running"] == "true" for row in rows):
        problems.append("no running game in the export of the fixture")
    print(("FAIL" if problems else "ok  ") + f" sessions.csv read by csv.DictReader ({len(rows)} rows)"
          + "".join("\n     " + p for p in problems))
    return 1 if problems else 0


def check_timelines_agree_with_export(log, replay):
    """Every game's timeline is well-formed SVG with a lane per player, and ends (or not) with
    the reason the sessions export gives for that game."""
    text = subprocess.run([replay, "export", log, "--sessions"], capture_output=True, check=True).stdout.decode()
    games = {}
    for row in csv.DictReader(io.StringIO(text, newline="")):
        games.setdefault(row["game_id"], []).append(row)
    problems = []
    svg = "{http://www.w3.org/2000/svg}"
    for game_id, rows in games.items():
        run = subprocess.run([replay, "timeline", log, "--game", game_id], capture_output=True)
        if run.returncode != 0:
            problems.append(f"game {game_id}: exit {run.returncode}")
            continue
        root = ElementTree.fromstring(run.stdout)
        lanes = [t.text for t in root.iter(svg + "text") if t.get("class") == "lane-name"]
        if len(lanes) != len(rows):
            problems.append(f"game {game_id}: lanes {lanes} for {len(rows)} players")
        ends = {t.text for t in root.iter(svg + "text") if t.get("class") == "label end"}
        # The game's reason is the first row's unless that player was the excluded one.
        reasons = {"end: " + row["termination_reason"] for row in rows if row["termination_reason"]}
        if rows[0]["running"] == "true":
            if ends:
                problems.append(f"game {game_id} runs but its timeline shows {ends}")
        elif not ends or not ends <= reasons | {"end: partner_exclusion"}:
            problems.append(f"game {game_id}: timeline ends {ends}, export says {reasons}")
    print(("FAIL" if problems else "ok  ") + f" timelines of {len(games)} games match the export"
          + "".join("\n     " + p for p in problems))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
