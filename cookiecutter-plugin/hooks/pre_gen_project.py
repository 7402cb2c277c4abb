"""Refuse combinations that would bake a plugin the core cannot load."""

import re
import sys

KNOWN_CAPABILITIES = {"ledger", "trial_balance", "company_details", "opening_balances"}

connector = "{{ cookiecutter.connector_name }}"
module = "{{ cookiecutter.module_name }}"
flavour = "{{ cookiecutter.auth_flavour }}"
level = "{{ cookiecutter.connection_level }}"
capabilities = [c.strip() for c in "{{ cookiecutter.capabilities }}".split(",") if c.strip()]

problems = []
if not re.fullmatch(r"[a-z][a-z0-9]*(-[a-z0-9]+)*", connector):
    problems.append(f"connector name {connector!r} must be lowercase words joined by '-'")
if not module.isidentifier():
    problems.append(f"module name {module!r} is not a Python identifier")
if (flavour == "agent") != (level == "agent"):
    problems.append("the agent auth flavour goes with the agent connection level, and only it")
if flavour == "oauth2" and level == "support":
    problems.append("support-level connections are provisioned credentials: use the form flavour")
unknown = sorted(set(capabilities) - KNOWN_CAPABILITIES)
if unknown:
    problems.append(f"unknown capabilities {unknown}; choose from {sorted(KNOWN_CAPABILITIES)}")
if not {"ledger", "trial_balance"} & set(capabilities):
    problems.append("pick at least one of ledger, trial_balance (the figures a dossier needs)")

if problems:
    for problem in problems:
        print(f"ERROR: {problem}", file=sys.stderr)
    sys.exit(1)
