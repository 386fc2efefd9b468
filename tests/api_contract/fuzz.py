"""Running schemathesis (its CLI, in a subprocess) against a served document and reading what it
found from its JUnit report: one entry per failed check, with the `curl` that reproduces it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from pathlib import Path

from tests.api_contract.fuzz_hooks import BASE_ENV, MAKER_ENV, SECRET_TOKEN_ENV

HOOKS_ENV = "SCHEMATHESIS_HOOKS"

MAX_EXAMPLES = 10
"""Per operation and phase: enough to reach each documented status, small enough for CI."""
MAX_SECONDS = 600
"""A hard stop for one run; a run on an idle machine takes well under a minute."""
SEED = 20261202
"""A fixed seed: the same cases on every run, so a red CI is reproducible from its log."""


@dataclass
class Run:
    """What one schemathesis run tested and found."""

    returncode: int
    output: str
    tested: list[str] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.returncode == 0 and not self.failures and not self.skipped and bool(self.tested)

    def summary(self) -> str:
        lines = [*self.failures, *(f"{name}: skipped" for name in self.skipped)]
        head = (
            f"schemathesis exit {self.returncode}: {len(self.failures)} failure(s) "
            f"in {len(self.tested)} operations"
        )
        return "\n\n".join([head, *lines]) if lines else f"{head}\n{self.output[-4000:]}"


KNOWN_PROBABILITY = 0.5
"""How often a path parameter takes a known object's id instead of a generated value: half the
cases reach real objects (their 200s, schemas and state changes), half probe the 404s."""


RECEIVER = [
    "",
    "[[operations]]",
    'include-path = "/webhooks/{path}"',
    "checks.positive_data_acceptance.expected-statuses = "
    '["2XX", "3XX", "401", "403", "404", "405", "409", "429", "5XX"]',
]
"""`positive_data_acceptance` with one status more for the webhook receiver: each endpoint takes
the one method it is configured with (POST or GET) and answers the other 405 with `Allow`, which
is the endpoint's state, not anything a request or the document can show. The rest of the
check (and every other check) holds for the receiver as for any operation."""


REJECTIONS = [
    "",
    "[checks.negative_data_rejection]",
    "expected-statuses = "
    '["400", "401", "403", "404", "405", "406", "409", "414", "415", "422", "428", "429", "5XX"]',
]
"""schemathesis' rejections, and 414: a query made invalid can make the URL longer than gunicorn
reads, which it refuses (documented as 414) before the application sees it."""


def config(known: dict[str, list[str]]) -> str:
    """A schemathesis.toml whose dictionaries hold the ids of objects that exist, bound to the
    path parameters of those names."""
    lines = ["[dictionaries]"]
    lines += [f"{name} = {{ values = {json.dumps(values)} }}" for name, values in sorted(known.items())]
    lines += ["", "[parameters]"]
    lines += [
        f'"path.{name}" = {{ dictionary = "{name}", probability = {KNOWN_PROBABILITY} }}'
        for name in sorted(known)
    ]
    return "\n".join([*lines, *REJECTIONS, *RECEIVER]) + "\n"


def schemathesis(
    location: str,
    base: str,
    workdir: Path,
    *args: str,
    known: dict[str, list[str]] | None = None,
    max_examples: int = MAX_EXAMPLES,
    secret_token: str = "",
    token_maker: str = "",
) -> Run:
    """Every check (`--checks all`: status codes, schemas, headers, auth, 5xx, ...) over every
    operation of the document at `location` (a URL or a file), sent to `base`; path parameters
    named in `known` often take those values; `secret_token`, a live personal access token, is the
    Secret Token of the webhook endpoints the run creates, renewed with the Basic credentials
    `token_maker` (`user:password`) when the run revoked it (`fuzz_hooks`)."""
    junit = workdir / "schemathesis-junit.xml"
    settings = workdir / "schemathesis.toml"
    settings.write_text(config(known or {}), encoding="utf-8")
    command = [
        *(sys.executable, "-m", "schemathesis.cli", "--config-file", str(settings)),
        *("run", location, "--url", base),
        *("--checks", "all", "--max-examples", str(max_examples), "--seed", str(SEED)),
        # one worker: with two threads, Hypothesis' lambda descriptions call `ast.parse` concurrently
        # and CPython 3.11 fails with "AST constructor recursion depth mismatch" now and then
        *("--workers", "1", "--generation-database", "none", "--request-timeout", "20"),
        *("--no-color", "--report", "junit", "--report-junit-path", str(junit)),
        # Hypothesis' own health check, not one of the API: the webhook endpoint body's combinations
        # (which secret each authentication needs) make it filter many drafts, which is no failure
        "--suppress-health-check=filter_too_much",
        *args,
    ]
    done = subprocess.run(
        command,
        capture_output=True,
        text=True,
        timeout=MAX_SECONDS,
        cwd=workdir,  # its `.schemathesis/` cache lands here, not in the checkout
        env={**os.environ, "NO_COLOR": "1", **hooks(base, secret_token, token_maker)},
    )
    run = Run(done.returncode, done.stdout + done.stderr)
    if junit.exists():
        read_junit(junit, run)
    return run


def hooks(base: str, secret_token: str, token_maker: str) -> dict[str, str]:
    """The environment that loads `fuzz_hooks` into the schemathesis process."""
    root = str(Path(__file__).resolve().parents[2])
    path = os.pathsep.join(p for p in (root, os.environ.get("PYTHONPATH", "")) if p)
    return {
        **{HOOKS_ENV: "tests.api_contract.fuzz_hooks", "PYTHONPATH": path, BASE_ENV: base},
        **{SECRET_TOKEN_ENV: secret_token, MAKER_ENV: token_maker},
    }


STATEFUL = "Stateful tests"


def read_junit(junit: Path, run: Run) -> None:
    """Operations as `METHOD PATH`; each failure or error as `METHOD PATH: <schemathesis' text>`."""
    for case in ET.parse(junit).getroot().iter("testcase"):
        name = case.get("name") or "?"
        if name != STATEFUL:  # the stateful phase's entry: its failures count, it is no operation
            run.tested.append(name)
        for problem in [*case.iter("failure"), *case.iter("error")]:
            run.failures.append(f"{name}: {(problem.text or problem.get('message') or '').strip()}")
        if case.find("skipped") is not None:
            run.skipped.append(name)
