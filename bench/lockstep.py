"""Two benchmark processes measured in lockstep, for ``make bench-compare`` (bench/compare.py).

Ours and the peer run in their own virtualenvs (their own Django), so they cannot share a
process. Run one after the other, a machine whose speed drifts within minutes (bench/RESULTS.md
saw the same page take 1.6× as long ten minutes later) makes their ratio a measure of the
drift. Here each side is a child process that seeds its database once and then measures one
round of its pages at a time, when the driver asks: the rounds alternate between the two, so
whatever slows the machine slows both alike.

`make bench` uses the same to measure its sizes side by side (bench/run.py): the growth from
10,000 to 100,000 tickets is then a ratio of one run's rounds, not of two runs minutes apart.

The child side is ``serve``; the driver's is ``Child``. They speak JSON lines over the child's
stdin and its original stdout; everything else the child prints goes to stderr.
"""

import json
import os
import platform
import subprocess
import sys


def serve(setup, prepare, warm_and_count, one_round):
    """The child's loop. ``setup()`` makes the test database and returns its teardown;
    ``prepare(n)`` seeds up to n tickets and returns (seconds, pages), each page a tuple whose
    first item is its label; ``warm_and_count(pages)`` returns {label: queries};
    ``one_round(pages, round)`` returns {label: ms}."""
    import django

    protocol = os.fdopen(os.dup(1), "w", buffering=1)
    os.dup2(2, 1)  # anything else written to stdout, Python's or not, goes to stderr
    sys.stdout = sys.stderr

    def reply(message):
        protocol.write(json.dumps(message) + "\n")

    teardown = setup()
    try:
        reply({"python": platform.python_version(), "django": django.get_version()})
        pages = []
        for line in sys.stdin:
            command = json.loads(line)
            if command["do"] == "prepare":
                seeded, pages = prepare(command["n"])
                only = set(command.get("only") or ())
                pages = [page for page in pages if not only or page[0] in only]
                reply({"seeded": seeded, "queries": warm_and_count(pages)})
            elif command["do"] == "round":
                reply({"times": one_round(pages, command["round"])})
            else:
                break
    finally:
        teardown()


class Child:
    """A benchmark process run with ``--serve``, asked one thing at a time."""

    def __init__(self, python, script, env=None):
        self.process = subprocess.Popen(  # noqa: S603 - our own interpreter and script
            [str(python), str(script), "--serve"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            env={**os.environ, **env} if env else None,
        )
        self.hello = self._read()

    def _read(self):
        line = self.process.stdout.readline()
        if not line:
            raise RuntimeError(f"{self.process.args[1]} stopped (exit {self.process.wait()})")
        return json.loads(line)

    def send(self, **command):
        self.process.stdin.write(json.dumps(command) + "\n")
        self.process.stdin.flush()

    def ask(self, **command):
        self.send(**command)
        return self._read()

    def stop(self):
        if self.process.poll() is None:
            self.send(do="stop")
            self.process.stdin.close()
            self.process.wait()
