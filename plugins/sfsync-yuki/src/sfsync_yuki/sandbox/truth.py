"""The Yuki sandbox's own figures (``Sandbox.truth``), added up from an administration's entries.

Each line counts in the fiscal year and period the sandbox's ``GLTransactions`` give it; the
balances at a year's start are the sandbox's ``start_balances`` (earlier results in the result
account); the details are the administration's own metadata.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sfsync.models import CompanyDetails
from sfsync.truth import PackageTruth, TruthBuilder

if TYPE_CHECKING:
    from sfsync_yuki.sandbox import YukiSandbox


def administration_truth(sandbox: YukiSandbox, admin_id: str) -> PackageTruth:
    """The trial balance, line places, balances at each year's start and details of one administration."""
    admin = sandbox.admins[admin_id]
    books = TruthBuilder()
    starts = set()
    for line in admin.lines():
        start, _ = admin.year_bounds(admin.year_id_of(line.date))
        starts.add(start)
        # Yuki's period: the month of the fiscal year the date falls in (as GLTransactions serve it).
        period = (line.date.year - start.year) * 12 + line.date.month - start.month + 1
        books.add(line.account, start, period, line.amount, line_id=line.id)
    details = CompanyDetails(name=admin.name, vat_number=admin.vat_number or None,
                             enterprise_number=admin.coc_number or None, start_date=admin.start_date,
                             street=admin.address or None,
                             postal_code=admin.postcode or None, city=admin.city or None, country=admin.country or None)
    return books.build(opening_balances={start: sandbox.start_balances(admin, start) for start in sorted(starts)},
                       company_details=details, result_account=admin.result_account)
