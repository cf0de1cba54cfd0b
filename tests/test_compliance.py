import pytest

from tests.compliance import CLAUSES_MD, COMPLIANCE_MD, clauses, covers, render
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
