"""Named crash points for fault-injection tests.

When ``PARCELWATCH_CRASH_POINT`` names a point, the process dies there at once
(``os._exit``: no cleanup, like ``kill -9``). Unset in normal runs: a dict lookup.
"""

import os
import sys

ENV_VAR = "PARCELWATCH_CRASH_POINT"
EXIT_CODE = 86


def crash_point(name: str) -> None:
    """Die here if the fault-injection harness asked for this point."""
    if os.environ.get(ENV_VAR) == name:
        sys.stderr.write(f"crash point {name} reached: exiting\n")
        sys.stderr.flush()
        os._exit(EXIT_CODE)
