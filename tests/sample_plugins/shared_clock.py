"""Under gunicorn, the host's clock is the instant a test's `FileClock` wrote to $RELEASE_HOST_TEST_CLOCK,
so a test moves time in every worker at once."""

import functools
import os
from pathlib import Path

from host import hookimpl
from host.testing import read_file_clock


@hookimpl
def startup(host):
    path = os.environ.get("RELEASE_HOST_TEST_CLOCK")
    if path:
        host.config.clock = functools.partial(read_file_clock, Path(path))
