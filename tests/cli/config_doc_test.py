#!/usr/bin/python3
"""docs/config.md cannot go stale: its complete example is a config cohort-server starts with,
it holds every key the page's tables list, the tables list every key the config readers read,
and every flag the page lists is one `--help` shows. docs/study.md's config starts it too.

Usage: config_doc_test.py COHORT_SERVER. Run with /usr/bin/python3.
"""
import json
import os
import pathlib
import re
import signal
import subprocess
import sys
import tempfile

DOC = pathlib.Path(__file__).resolve().parent.parent.parent / "docs" / "config.md"


def example_text(doc):
    section = doc[doc.index("## A complete example"):]
    return re.search(r"```json\n(.*?)\n```", section, re.S).group(1)


def keys_of(value):
    """Every object key anywhere in a JSON value."""
    if isinstance(value, dict):
        return set(value) | set().union(*(keys_of(v) for v in value.values()))
    if isinstance(value, list):
        return set().union(*(keys_of(v) for v in value)) if value else set()
    return set()


def start_problem(server, text):
    """None when cohort-server starts with this config and stops cleanly on SIGTERM; else why."""
    example = json.loads(text)
    with tempfile.TemporaryDirectory() as tmp:
        config = os.path.join(tmp, "example.json")
        with open(config, "w") as out:
            out.write(text)
        # The flags move it to a free port and a scratch log; everything else is the config's,
        # run from a directory that holds its static_dir.
        if "static_dir" in example.get("server", {}):
            os.mkdir(os.path.join(tmp, example["server"]["static_dir"]))
        process = subprocess.Popen([server, "--config", config, "--db", os.path.join(tmp, "example.db"),
                                    "--port", "0", "--address", "127.0.0.1"], stderr=subprocess.PIPE, text=True,
                                   cwd=tmp)
        seen = ""
        for line in process.stderr:
            seen += line
            if '"started"' in line:
                break
        if '"started"' in seen:
            process.send_signal(signal.SIGTERM)
        seen += process.stderr.read()
        code = process.wait(timeout=20)
        if '"started"' not in seen or code != 0:
            return f"exit {code}, stderr {seen[-600:]!r}"
    return None


def main():
    server = os.path.abspath(sys.argv[1])
    doc = DOC.read_text()
    problems = []
    text = example_text(doc)
    example = json.loads(text)

    # Each table row's key (its first cell, in backticks) but the flags', in the example.
    keys_section = doc[:doc.index("## Command-line flags")]
    listed = set(re.findall(r"^\| `([a-z0-9_]+)` \|", keys_section, re.M))
    missing = sorted(listed - keys_of(example))
    if missing:
        problems.append(f"keys listed but not in the complete example: {missing}")

    # Every key the readers ask for (server/config.cpp, engine/vocabulary/experiment_json.cpp) is listed.
    root = DOC.parent.parent
    for source in ("server/config.cpp", "engine/vocabulary/experiment_json.cpp"):
        read = set(re.findall(r'\b[a-z]+\.(?:integer|string|boolean|choice|strings)\("([a-z0-9_]+)"', (root / source).read_text()))
        for key in sorted(read - listed):
            problems.append(f"{source} reads {key}, docs/config.md does not list it")

    flags_section = doc[doc.index("## Command-line flags"):doc.index("## A complete example")]
    usage = subprocess.run([server, "--help"], capture_output=True, text=True, timeout=20).stdout
    for flag in re.findall(r"^\| `(--[a-z-]+)", flags_section, re.M):
        if flag not in usage:
            problems.append(f"docs/config.md lists {flag}, --help does not")

    problem = start_problem(server, text)
    if problem:
        problems.append("the example did not start the server: " + problem)
    # docs/study.md's config, a researcher's first, is one the server starts with too.
    study = re.search(r"```json\n(.*?)\n```", (DOC.parent / "study.md").read_text(), re.S).group(1)
    problem = start_problem(server, study)
    if problem:
        problems.append("docs/study.md's config did not start the server: " + problem)
    for problem in problems:
        print("FAIL " + problem)
    print("ok" if not problems else f"{len(problems)} problems")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
