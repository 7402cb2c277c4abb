"""The on-premise sandbox's own figures (``Sandbox.truth``): the generated DEMOBV auditfiles.

Each entry line counts in its book's fiscal year and its period; a book's opening balance is its
XAF ``openingBalance`` (results of the year before carried to 0500, as ``_carry_forward`` books
them); the details are those the auditfile's header declares.
"""

from __future__ import annotations

from sfsync.models import CompanyDetails
from sfsync.truth import PackageTruth, TruthBuilder

from sfsync_onprem.fixtures import XafBook

RESULT_ACCOUNT = "0500"
"""Where the sandbox carries a year's result (see ``_carry_forward``)."""


def books_truth(books: list[XafBook]) -> PackageTruth:
    """The trial balance, line places, opening balances and details of the generated company."""
    truth = TruthBuilder()
    for book in books:
        for entry in book.entries:
            for i, line in enumerate(entry.lines, start=1):
                truth.add(line.account, book.start, entry.period, line.amount,
                          line_id=f"{book.label}:{entry.journal}:{entry.nr}:{i}")
    openings = {book.start: dict(book.opening) for book in books}
    details = CompanyDetails(name=books[-1].company, vat_number="NL001234567B01", country="NL")
    return truth.build(opening_balances=openings, company_details=details, result_account=RESULT_ACCOUNT)
