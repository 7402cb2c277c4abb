"""Deliberately broken connectors and hosts, built on echo, that prove the contract suite's checks.

Each :class:`BrokenCase` names a fault and the checks it must fail — and only those. The suite's own
test (``test_contract_mutants.py``) runs the whole contract suite against every case and against
the honest echo, and fails when a check has no case that makes it fail.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pytest
from sfsync.models import Granularity
from sfsync.plugins import PluginRegistry

from contract_mutants import connectors as c
from contract_mutants import hosts as h

__all__ = ["CASES", "BrokenCase", "registry_for"]


@dataclass(frozen=True)
class BrokenCase:
    """One fault, and the checks that must catch it."""

    name: str
    fault: str
    fails: frozenset[str]
    connector: type[c.Mutant] = c.Mutant
    host: Callable[[pytest.MonkeyPatch], None] | None = None
    granularity: Granularity | None = None

    @property
    def connector_name(self) -> str:
        return f"echo-{self.name}"


def _case(name: str, fault: str, fails: set[str], connector: type[c.Mutant] = c.Mutant,
          host: Callable[[pytest.MonkeyPatch], None] | None = None, granularity: Granularity | None = None) -> BrokenCase:
    return BrokenCase(name, fault, frozenset(fails), connector, host, granularity)


_D = Granularity.DETAILS

CASES: tuple[BrokenCase, ...] = (
    _case("duplicate-companies", "lists a company twice", {"companies"}, c.DuplicateCompanies),
    _case("echoes-the-key", "puts the refused key in the error", {"bad_credentials"}, c.EchoesTheKey),
    _case("bypasses-ctx-http", "sends requests the run cannot count or pace", {"first_sync", "retry_after"},
          c.BypassesCtxHttp),
    _case("overlapping-years", "ends the first fiscal year a day into the second",
          {"fiscal_years", "trial_balance_granularity"}, c.OverlappingYears),
    _case("partial-chart", "leaves an account out of the chart", {"accounts_in_chart"}, c.PartialChart),
    _case("flips-a-sign", "books sales on the wrong side", {"entries_balance", "package_truth"}, c.FlipsASign),
    _case("wrong-account", "books services on purchases", {"package_truth"}, c.WrongAccount),
    # The core refuses a batch with a repeated id (sfsync.unique_ids), so every sync of this
    # connector fails: unique_ids names the cause, the checks that need a finished sync fail with it.
    _case("merges-duplicate-ids", "gives three lines of one batch one id",
          {"unique_ids", "package_truth", "accounts_in_chart", "booking_period", "changes", "first_sync",
           "fiscal_years", "incremental", "reconsent", "replace_atomic", "resume", "retry_after", "since"},
          c.MergesDuplicateIds),
    _case("misplaces-periods", "takes the period from the date", {"booking_period", "package_truth", "opening_balances"},
          c.MisplacesPeriods),
    _case("ignores-cursor", "re-reads everything on every sync", {"incremental", "resume", "changes", "reconsent"},
          c.IgnoresCursor),
    _case("extra-requests", "one request a night more than declared", {"incremental"}, c.ExtraRequests),
    _case("forgets-deletions", "never reads the deletion feed", {"changes"}, c.ForgetsDeletions),
    _case("drops-data-before-since", "deletes what the dossier held before the date", {"since"},
          c.DropsDataBeforeSince),
    _case("logs-the-key", "logs its API key", {"no_secrets"}, c.LogsTheKey),
    _case("opening-balances-at-wrong-date", "asks for balances a month early", {"opening_balances"},
          c.OpeningBalancesAtWrongDate),
    _case("drops-the-vat-number", "forgets a field of the company details", {"company_details"}, c.DropsTheVatNumber),
    _case("trial-balance-by-date", "adds totals up by date, not booking year", {"trial_balance_granularity"},
          c.TrialBalanceByDate),
    _case("trial-balance-never-refreshes", "treats open years as done", {"trial_balance_changes"},
          c.TrialBalanceNeverRefreshes, granularity=Granularity.TRIAL_BALANCE),
    _case("host-ignores-checkpoint", "the runner restarts from scratch", {"incremental", "resume", "changes", "reconsent"},
          host=h.ignores_checkpoint),
    _case("host-swaps-in-early", "a generation swapped in before it is complete",
          {"replace_atomic", "resume", "reconsent"},
          host=h.swaps_in_early),
    _case("host-forgets-history-before-since", "a since generation starts empty", {"since"},
          host=h.forgets_history_before_since),
    _case("host-ignores-retry-after", "the transport pauses its own second", {"retry_after"},
          host=h.ignores_retry_after),
    _case("host-reconsent-keeps-the-mark", "a re-consent leaves the connection marked", {"reconsent"},
          host=h.reconsent_keeps_the_mark),
    _case("host-rounds-since", "a since date is quietly moved to a year start", {"since_start"},
          host=h.rounds_since_to_a_year_start),
    # Administrative (details) links: the contract class links echo for its master data only.
    # (It lists the companies to find the next one: a request more on an unchanged night, too.)
    _case("details-of-another-company", "answers with the next company's master data",
          {"company_details", "details_first_sync", "details_changes", "details_unchanged"}, c.DetailsOfAnotherCompany,
          granularity=_D),
    _case("details-extra-requests", "lists the companies again before every look at the details",
          {"details_unchanged"}, c.DetailsExtraRequests, granularity=_D),
    # (Not looking, it does not see the package fail either.)
    _case("details-stale-stamp", "says unchanged without looking", {"details_changes", "details_failure"},
          c.DetailsStaleStamp, granularity=_D),
    _case("details-swallows-failures", "turns a failing package into unchanged", {"details_failure"},
          c.DetailsSwallowsFailures, granularity=_D),
    _case("host-stores-details-every-night", "a new version of unchanged details on every sync",
          {"details_unchanged"}, host=h.stores_details_every_night, granularity=_D),
)


def registry_for(case: BrokenCase) -> PluginRegistry:
    """A registry holding only the case's broken connector."""
    registry = PluginRegistry()
    registry.register(case.connector(case.connector_name), case.connector_name)
    assert not registry.broken, registry.broken
    return registry
