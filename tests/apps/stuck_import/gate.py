"""Holds up whoever imports it until the test creates the release file (20 s at most).

Without QUICKFUNC_TEST_RELEASE_FILE in the environment it returns at once.
"""

import os
import time

PATH = os.environ.get("QUICKFUNC_TEST_RELEASE_FILE")
DEADLINE = time.monotonic() + 20


def wait_for_release() -> None:
    while PATH and not os.path.exists(PATH) and time.monotonic() < DEADLINE: time.sleep(0.02)  # noqa: E701  # fmt: skip
