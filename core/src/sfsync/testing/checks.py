"""The list of contract checks: each one a promise, the fault it catches, and when it applies.

Every ``test_*`` of :class:`~sfsync.testing.ConnectorContract` carries the marker of one check
(:func:`check`). A contract class opts out of a check by naming it with its reason in
``opt_out``; a check whose hook the connector does not implement, or that belongs to the other
granularity, does not apply and says why. Either way the suite's summary lists it: a skip is never
silent.
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from sfsync.models import Granularity

__all__ = ["CHECKS", "MARKER", "Check", "check"]

MARKER = "sfsync_check"


@dataclass(frozen=True)
class Check:
    """One promise the contract suite holds a connector to.

    Attributes:
        name: The name a contract class opts out with (``opt_out = {"reconsent": "why"}``).
        promise: What the connector promises, in a sentence.
        fault: The fault that makes the check fail.
        granularity: Only links of this granularity are checked (``None``: both).
        hook: Only connectors implementing this hook are checked.
        declared: Only connectors declaring this granularity in ``ConnectorInfo`` are checked.
        administrative: Also checked on an administrative (``details``) link, which brings no
            figures: a check of neither granularity applies there only when this is set.
    """

    name: str
    promise: str
    fault: str
    granularity: Granularity | None = None
    hook: str | None = None
    declared: Granularity | None = None
    administrative: bool = False


_T, _TB, _D = Granularity.TRANSACTIONS, Granularity.TRIAL_BALANCE, Granularity.DETAILS

CHECKS: dict[str, Check] = {c.name: c for c in (
    Check("companies", "The connection lists companies with unique refs, the sandbox's among them.",
          "Two companies sharing a ref, or a seeded company missing.", administrative=True),
    Check("bad_credentials", "Refused credentials raise AuthError and the secret is not in the message.",
          "A generic error for wrong credentials, or the refused secret echoed back.", administrative=True),
    Check("first_sync", "The first sync succeeds, stores figures and counts its requests.",
          "A failing or empty first sync; requests not made through ctx.http."),
    Check("fiscal_years", "Fiscal years do not overlap and cover every stored date.",
          "Overlapping years, or a line dated outside every year."),
    Check("entries_balance", "The lines of every entry (every period's totals) sum to zero.",
          "A line dropped, doubled or signed wrongly."),
    Check("accounts_in_chart", "Every account used is in the chart of accounts.",
          "An empty chart, or lines on accounts the chart lacks."),
    Check("package_truth", "The stored figures equal the package's own trial balance, per account, "
          "fiscal year and period, to the cent.",
          "Amounts rounded, lines lost or doubled, a line in the wrong account or year."),
    Check("unique_ids", "Every line of the package is stored once, under an id no other line shares; "
          "the core refuses a batch in which two lines share one.",
          "Ids built so that two lines share one (within a batch the sync is refused; across batches the "
          "upsert merges them).", granularity=_T),
    Check("booking_period", "A line booked in a period of another fiscal year than its date is stored "
          "in that period and year.", "The period or year derived from the date instead of the package's booking.",
          granularity=_T),
    Check("incremental", "An unchanged second sync changes nothing, re-reads no line outside the declared "
          "look-back window and makes at most the declared requests of an unchanged night.",
          "A cursor ignored (everything re-read), or more requests than ConnectorInfo.unchanged_night_requests."),
    Check("since_start", "A since date that does not start a fiscal year is refused, naming the valid ones.",
          "A host that accepts any date, or fiscal years that do not match the package."),
    Check("since", "A since link brings nothing dated before the date, and keeps the lines before it "
          "that the dossier held, unchanged.", "Data before the date synced, or deleted."),
    Check("opening_balances", "A since link stores the package's balance of every balance-sheet account "
          "at the date, and opening balances plus movements reach the package's next balances.",
          "Balances missing, at another date, or off by a cent.", granularity=_T, hook="sfsync_fetch_opening_balances"),
    Check("resume", "A sync killed at a batch boundary resumes from its checkpoint: the resumed run "
          "re-reads only what came after it, and ends equal to an uninterrupted sync.",
          "A cursor ignored on resume (a restart from scratch), or lost or doubled lines."),
    Check("replace_atomic", "A replace that fails half-way leaves the old data untouched and visible "
          "until the new generation is complete.", "A generation swapped in before it is complete."),
    Check("changes", "Added, edited and deleted lines arrive with the next sync.",
          "Deletions forgotten, edits not noticed.", granularity=_T),
    Check("trial_balance_changes", "A new entry changes the stored trial balance with the next sync.",
          "Totals that never refresh.", granularity=_TB),
    Check("trial_balance_granularity", "A trial-balance link of a connector that offers one equals the "
          "package's trial balance.", "Totals per account and year that differ from the package's.",
          granularity=_T, declared=_TB),
    Check("retry_after", "A 429 with a Retry-After longer than any fallback pause is waited out: no "
          "request arrives inside it.", "Retry-After ignored (the transport's own pause used instead).",
          administrative=True),
    Check("no_secrets", "No secret appears in the logs, a repr or the store in clear.",
          "A token or key logged or stored unencrypted.", administrative=True),
    Check("company_details", "The company details equal the package's master data.",
          "A field dropped or taken from the wrong place.", hook="sfsync_fetch_company_details", administrative=True),
    # --- administrative (details) links: the master data, no figures ---
    Check("details_first_sync", "The first sync of an administrative link stores the package's company "
          "details, and no figures.", "Details not stored, stored from the wrong company, or figures "
          "fetched for a link that asks none.", granularity=_D),
    Check("details_unchanged", "An unchanged night keeps the one stored version and makes at most the "
          "declared requests.", "A new version for unchanged data, or more requests than "
          "ConnectorInfo.unchanged_night_requests.", granularity=_D),
    Check("details_changes", "An edit of the master data in the package is stored as a new version with "
          "the next sync; the earlier version stays in the history.",
          "An edit not noticed (a stale change stamp), or the history overwritten.", granularity=_D),
    Check("details_failure", "A package failure fails an administrative-only dossier with an error naming "
          "the dossier, the connector and the cause, and keeps its stored details.",
          "A failure reported as success, an error without its context, or stored details lost.",
          granularity=_D),
    Check("reconsent", "A revoked credential fails the sync as an authentication error and marks the "
          "connection needs_reconsent; after re-consent the interrupted dossier resumes from its checkpoint.",
          "A revoked grant reported as another failure, a re-consent that leaves the mark, or one that "
          "restarts from scratch."),
)}


def check(name: str) -> pytest.MarkDecorator:
    """Mark a contract test as the check ``name`` (one of :data:`CHECKS`)."""
    if name not in CHECKS:
        raise KeyError(f"no contract check named {name!r}")
    marker: pytest.MarkDecorator = getattr(pytest.mark, MARKER)(name)
    return marker
