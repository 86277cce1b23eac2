"""Static scan: bandit over examples/ and cookbook/.

No finding of medium or high severity; a line that bandit would flag and
that is safe says so with `# nosec <test id> - <why>`, and every `# nosec` in
those folders names its test and gives its reason.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys

from cookbook.catalogue import ROOT

from . import at_least
from . import at_most
from . import Figure

NAME = "Static scan (bandit)"
FOLDERS = ("examples", "cookbook")
# `# nosec B704 - why`: a test id, then a reason of a few words at least.
JUSTIFIED = re.compile(r"#\s*nosec\s+B\d{3}(?:\s*,\s*B\d{3})*\s+-\s+\S.{8,}")
NOSEC = re.compile(r"#\s*nosec\b")


def run(short: bool = False) -> list[Figure]:
    """The same scan in both forms: it takes a second."""
    print(f"{NAME}: bandit -r {' '.join(FOLDERS)} -ll (medium and high severity)")
    result = subprocess.run(  # noqa: S603 - fixed argv, no shell
        [sys.executable, "-m", "bandit", "-r", *FOLDERS, "-ll", "-f", "json", "-q"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    try:
        report = json.loads(result.stdout)
    except json.JSONDecodeError:
        raise RuntimeError(f"bandit gave no report: {result.stderr[-2000:]}") from None
    findings = report["results"]
    for finding in findings:
        print(
            f"  ! {finding['test_id']} {finding['issue_severity']} "
            f"{finding['filename']}:{finding['line_number']} {finding['issue_text']}"
        )
    totals = report["metrics"]["_totals"]
    scanned = [name for name in report["metrics"] if name != "_totals"]
    unexplained = []
    for folder in FOLDERS:
        for source in sorted((ROOT / folder).rglob("*.py")):
            for number, line in enumerate(source.read_text("utf-8").splitlines(), 1):
                if NOSEC.search(line) and not JUSTIFIED.search(line):
                    unexplained.append(f"{source.relative_to(ROOT)}:{number}")
    for place in unexplained:
        print(f"  ! `# nosec` without a test id and a reason: {place}")
    print(
        f"  {len(scanned)} files, {totals['loc']:,} lines scanned; "
        f"{int(totals['nosec'] + totals['skipped_tests'])} finding(s) under a # nosec; "
        f"{int(totals['SEVERITY.LOW'])} low-severity finding(s) not counted"
    )
    return [
        at_least("files scanned", len(scanned), 1),
        at_most("findings of medium or high severity", len(findings)),
        at_most("# nosec without a test id and a reason", len(unexplained)),
        at_most("files bandit could not read", len(report["errors"])),
    ]
