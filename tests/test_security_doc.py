"""docs/security.md stays true: every test it names as the proof of a control exists (issue 18)."""

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DOC = ROOT / "docs" / "security.md"
REFERENCE = re.compile(r"`(tests/[\w/]+\.py)?(?:::(\w+))?[^`]*`|`::(\w+)[^`]*`")


def _test_names(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return {node.name for node in ast.walk(tree) if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)}


def test_every_test_the_security_doc_names_exists():
    missing, current, named = [], None, 0
    for match in REFERENCE.finditer(DOC.read_text(encoding="utf-8")):
        path, name, bare = match.group(1), match.group(2), match.group(3)
        if path:
            current = ROOT / path
            if not current.exists():
                missing.append(path)
                continue
        name = name or bare
        if name and current is not None and current.exists():
            named += 1
            if name not in _test_names(current):
                missing.append(f"{current.relative_to(ROOT)}::{name}")
    assert named > 50, "the security doc should name the tests that prove its controls"
    assert missing == [], "docs/security.md names tests that do not exist:\n" + "\n".join(missing)
