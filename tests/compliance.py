"""docs/compliance.md: every clause of the station standard and the tests that prove it, from `clause` marks.

Regenerate with `make compliance`; a test fails while the committed file is stale.
"""

import re
from collections import defaultdict
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
CLAUSES_MD = REPO_ROOT.parent / "shared" / "spec" / "clauses.md"
COMPLIANCE_MD = REPO_ROOT / "docs" / "compliance.md"


def clauses() -> list[tuple[str, str]]:
    """(clause, Chinese title) rows of the clause map, in its order."""
    rows = []
    for line in CLAUSES_MD.read_text(encoding="utf-8").splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if len(cells) >= 3 and cells[0] not in {"clause", ""} and not set(cells[0]) <= {"-"}:
            rows.append((cells[0], cells[1]))
    return rows


def covers(row_clause: str, marked: str) -> bool:
    """Whether a test marked `marked` (e.g. "4.4.2", "5.2.3.1") proves the clause-map row `row_clause`
    (e.g. "4.4.1–4.4.2", "4.5 a–h", "Appendix A")."""
    if marked == row_clause:
        return True
    match = re.fullmatch(r"(\d+(?:\.\d+)*)\.(\d+)–\1\.(\d+)", row_clause)
    if match:
        prefix, low, high = match.groups()
        sub = re.fullmatch(rf"{re.escape(prefix)}\.(\d+)(?:\.\d+)*", marked)
        return bool(sub) and int(low) <= int(sub.group(1)) <= int(high)
    base = row_clause.split(" ")[0]
    return marked == base or marked.startswith(base + ".") or marked.startswith(base + " ")


def render(marks: dict[str, list[str]]) -> str:
    by_clause: dict[str, list[str]] = defaultdict(list)
    for nodeid, numbers in sorted(marks.items()):
        for number in numbers:
            by_clause[number].append(nodeid)
    lines = [
        "# Compliance with the station standard",
        "",
        "Generated from the tests' `@pytest.mark.clause(...)` marks by `make compliance`; do not edit by hand.",
        "Clause numbers follow `shared/spec/clauses.md`. A clause with no test is not yet implemented.",
        "",
        "| clause | 中文 | tests |",
        "|---|---|---|",
    ]
    for row_clause, title in clauses():
        tests = sorted({t for number, ids in by_clause.items() if covers(row_clause, number) for t in ids})
        cell = "<br>".join(f"`{t}`" for t in tests) if tests else "—"
        lines.append(f"| {row_clause} | {title} | {cell} |")
    return "\n".join(lines) + "\n"
