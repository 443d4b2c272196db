"""Runs the ``adgen`` command with a clock the test sets: ``python -m tests.serve_clock START -- ARGS``.

After importing adgen it prints ``ready`` and reads one line: a Unix time, the anchor. From then on the
process's clock reads ``START + (real time - anchor)``, so processes given the same START and anchor
agree on the time while it flows at its real pace, and times in their records compare.
"""

from __future__ import annotations

import sys
import time
from datetime import datetime, timedelta

import time_machine

from generator.orchestration.cli import main as adgen

if __name__ == "__main__":
    start, args = datetime.fromisoformat(sys.argv[1]), sys.argv[sys.argv.index("--") + 1 :]
    print("ready", flush=True)
    anchor = float(sys.stdin.readline())
    with time_machine.travel(start + timedelta(seconds=time.time() - anchor), tick=True):
        adgen(args)
