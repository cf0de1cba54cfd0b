import re
from pathlib import Path

import pytest

from tests.compliance import CLAUSES_MD, COMPLIANCE_MD, citations, clauses, covers, own_clause_marks, render
from tests.conftest import CLAUSE_MARKS


def test_every_clause_mark_names_a_clause_of_the_map(request):
    if not CLAUSES_MD.exists():
        pytest.skip("shared/spec/clauses.md is not beside the checkout")
    rows = [number for number, _ in clauses()]
    for nodeid, numbers in request.config.stash[CLAUSE_MARKS].items():
        for number in numbers:
            assert any(covers(row, number) for row in rows), f"{nodeid}: clause {number} is not in the clause map"


def test_compliance_document_is_up_to_date(request):
    if not CLAUSES_MD.exists():
        pytest.skip("shared/spec/clauses.md is not beside the checkout")
    if request.config.args_source != pytest.Config.ArgsSource.TESTPATHS:
        pytest.skip("only a run of the whole suite sees every clause mark")
    assert COMPLIANCE_MD.read_text(encoding="utf-8") == render(request.config.stash[CLAUSE_MARKS]), (
        "docs/compliance.md is stale: run `make compliance`"
    )


@pytest.mark.parametrize(
    ("row", "marked", "expected"),
    [
        ("4.4.1–4.4.2", "4.4.2", True),
        ("4.4.1–4.4.2", "4.4.3", False),
        ("5.2.3.1–5.2.3.2", "5.2.3.2", True),
        ("4.5 a–h", "4.5 c", True),
        ("3", "3", True),
        ("3", "4.1.1", False),
        ("Appendix A", "Appendix A", True),
    ],
)
def test_clause_ranges_cover_their_members(row, marked, expected):
    assert covers(row, marked) is expected


@pytest.mark.parametrize(
    ("row", "marked"),
    [("Appendix A", "Appendix B"), ("Appendix B", "Appendix A"), ("7.1", "Appendix B"), ("Appendix A", "5.2.1.4")],
)
def test_appendix_a_and_appendix_b_are_rows_of_their_own(row, marked):
    assert covers(row, marked) is False


def test_a_mark_on_a_whole_module_counts_for_no_test():
    """A module holds tests of other things too (role checks, query counts): clause marks go on the tests."""
    tests_root = Path(__file__).parent
    marked_modules = [
        path.relative_to(tests_root).as_posix()
        for path in tests_root.rglob("test_*.py")
        if re.search(r"^pytestmark\b.*mark\.clause\(", path.read_text(encoding="utf-8"), re.M)
    ]
    assert marked_modules == []


def test_a_module_mark_is_not_a_tests_own(request):
    request.node.parent.add_marker(pytest.mark.clause("3"))  # as `pytestmark` in a module would
    try:
        assert "3" not in own_clause_marks(request.node)
    finally:
        request.node.parent.own_markers.pop()


@pytest.mark.clause("Appendix A")
def test_own_marks_are_counted(request):
    assert own_clause_marks(request.node) == ["Appendix A"]


def test_every_row_names_the_code_that_cites_it(tmp_path):
    (tmp_path / "core" / "desk").mkdir(parents=True)
    (tmp_path / "core" / "desk" / "print.py").write_text('"""Appendix B, the service record (clause 6.2)."""')
    (tmp_path / "core" / "desk" / "archive.py").write_text("# clauses 7.3 and 7.4; the demand form (Appendix A)")
    (tmp_path / "frontend_templates").mkdir()
    (tmp_path / "frontend_templates" / "form.html").write_text("{# clause 4.5 c, clause 5.2.3.2 #}")
    found = citations(tmp_path)
    assert found["Appendix B"] == {"core/desk/print.py"} and found["6.2"] == {"core/desk/print.py"}
    assert found["7.3"] == found["7.4"] == found["Appendix A"] == {"core/desk/archive.py"}
    assert found["4.5 c"] == found["5.2.3.2"] == {"frontend_templates/form.html"}
    table = render({"tests/x.py::test_b": ["Appendix B"]}, code=found)
    row_a = next(line for line in table.splitlines() if line.startswith("| Appendix A |"))
    row_b = next(line for line in table.splitlines() if line.startswith("| Appendix B |"))
    assert "core/desk/archive.py" in row_a and "test_b" not in row_a
    assert "core/desk/print.py" in row_b and "test_b" in row_b
