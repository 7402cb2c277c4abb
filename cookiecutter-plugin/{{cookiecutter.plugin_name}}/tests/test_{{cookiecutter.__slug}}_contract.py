{%- set caps = cookiecutter.capabilities.replace(' ', '').split(',') -%}
{%- if "ledger" in caps and "trial_balance" in caps -%}
from sfsync.models import Granularity
{% endif -%}
from sfsync.testing import ConnectorContract

# Every check of the contract suite runs; `pytest --sfsync-report` prints what each one covers.
# A check the package cannot pass is opted out of by name, with the reason a reader needs:
#     opt_out = {"reconsent": "the package's keys cannot be regenerated"}


class Test{{ cookiecutter.__class_prefix }}Contract(ConnectorContract):
    connector = "{{ cookiecutter.connector_name }}"
{%- if "ledger" in caps and "trial_balance" in caps %}


class Test{{ cookiecutter.__class_prefix }}TrialBalanceContract(ConnectorContract):
    """The same suite on trial-balance links."""

    connector = "{{ cookiecutter.connector_name }}"
    granularity = Granularity.TRIAL_BALANCE
{%- endif %}
