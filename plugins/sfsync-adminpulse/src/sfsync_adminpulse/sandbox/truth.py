"""The sandbox's own answer (``Sandbox.truth``): a relation's master data, read from its records.

Built from the seeded :class:`~.relations.Relation` itself, never through the wire or the
connector's mapping, so the contract suite holds the mapping against what the office holds. An
administrative package has no figures: the truth's movements are empty.
"""

from __future__ import annotations

import datetime as dt

from sfsync.models import CompanyDetails, Person
from sfsync.truth import PackageTruth

from sfsync_adminpulse.sandbox.relations import Relation, dotted

__all__ = ["relation_details", "relation_truth"]


def relation_details(relation: Relation) -> CompanyDetails:
    """What the office holds about a relation, as sfsync's company details."""
    address = relation.address
    street = f"{address.street} {address.number}" + (f" bus {address.box}" if address.box else "")
    day, month = relation.fiscal_year_end.split("/") if relation.fiscal_year_end else (None, None)
    return CompanyDetails(
        name=relation.name, legal_form=relation.legal_form, vat_number=relation.vat_number,
        enterprise_number=dotted(relation.number) if relation.number else None,
        street=street, postal_code=address.postal_code, city=address.city, country=address.country,
        email=relation.email, phone=relation.phone,
        fiscal_year_end=f"{month}-{day}" if day else None, start_date=relation.founded,
        people=tuple(Person(name=f"{c.first_name} {c.last_name}", role=c.function, email=c.email, phone=c.phone)
                     for c in relation.contacts),
        modified=relation.modified.astimezone(dt.UTC),
    )


def relation_truth(relation: Relation) -> PackageTruth:
    """The package's truth for one relation: its details and no figures."""
    return PackageTruth(movements={}, company_details=relation_details(relation))
