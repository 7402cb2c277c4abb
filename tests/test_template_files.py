"""Fast checks of cookiecutter-plugin: the file set and the derived names, for each auth flavour."""

from __future__ import annotations

import ast
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
from cookiecutter.exceptions import FailedHookException
from cookiecutter.main import cookiecutter

TEMPLATE = Path(__file__).resolve().parents[1] / "cookiecutter-plugin"

FLAVOURS = [
    ("oauth2", "firm", "Exact Online BE", "exact-online-be"),
    ("form", "support", "Yuki Boekhouding", "yuki-boekhouding"),
    ("agent", "agent", "Winbooks", "winbooks"),
]


def bake(tmp_path: Path, **context: str) -> Path:
    out = cookiecutter(
        str(TEMPLATE),
        no_input=True,
        output_dir=str(tmp_path),
        extra_context=context,
        # Replay files in the test's folder, not in the user's home.
        default_config={"replay_dir": str(tmp_path / ".replay")},
    )
    return Path(out)


@pytest.mark.parametrize(("flavour", "level", "human", "slug"), FLAVOURS)
def test_template_file_set_and_names(tmp_path, flavour, level, human, slug):
    root = bake(tmp_path, package_name=human, auth_flavour=flavour, connection_level=level)
    module = "sfsync_" + slug.replace("-", "_")
    test_slug = slug.replace("-", "_")
    assert root.name == f"sfsync-{slug}"
    files = {p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file()}
    assert files == {
        "pyproject.toml",
        "README.md",
        f"docs/{slug}.md",
        f"src/{module}/__init__.py",
        f"src/{module}/py.typed",
        f"src/{module}/connector.py",
        f"src/{module}/sandbox.py",
        f"src/{module}/books.py",
        f"tests/test_{test_slug}_contract.py",
        f"tests/test_{test_slug}_discovery.py",
    }
    project = tomllib.loads((root / "pyproject.toml").read_text())
    assert project["project"]["name"] == f"sfsync-{slug}"
    assert "sfsync[sandbox]>=0.1,<1" in project["project"]["dependencies"]
    assert project["project"]["entry-points"]["sfsync"] == {slug: f"{module}.connector:{test_slug}"}
    assert project["tool"]["hatch"]["build"]["targets"]["wheel"]["packages"] == [f"src/{module}"]

    # The sandbox is a short example of the toolkit, not a server written out (CONVENTIONS §16).
    sandbox = (root / f"src/{module}/sandbox.py").read_text()
    assert len(sandbox.splitlines()) < 200, "the template's sandbox grew past 200 lines"
    assert "def routes(self)" in sandbox and "{%" not in sandbox

    connector = (root / f"src/{module}/connector.py").read_text()
    assert f'CONNECTOR = "{slug}"' in connector
    spec = {"oauth2": "OAuth2Spec(", "form": "FormSpec(", "agent": "AgentSpec("}
    assert spec[flavour] in connector
    for other, marker in spec.items():
        if other != flavour:
            assert marker not in connector
    assert f"ConnectionLevel.{level.upper()}" in connector
    assert "{{" not in connector
    assert "{%" not in connector

    contract = (root / f"tests/test_{test_slug}_contract.py").read_text()
    tree = ast.parse(contract)
    classes = [n for n in tree.body if isinstance(n, ast.ClassDef)]
    # One contract class per granularity the default capabilities offer (ledger and trial balance).
    assert [c.name.endswith("TrialBalanceContract") for c in classes] == [False, True]
    for cls in classes:
        assert [b.id for b in cls.bases if isinstance(b, ast.Name)] == ["ConnectorContract"]
    assert contract.count(f'connector = "{slug}"') == 2
    assert "granularity = Granularity.TRIAL_BALANCE" in contract
    assert "{{" not in contract and "{%" not in contract

    discovery = (root / f"tests/test_{test_slug}_discovery.py").read_text()
    assert 'entry_points(group="sfsync")' in discovery
    assert "PluginRegistry()" in discovery
    assert "load_entry_points()" in discovery

    assert f"pip install sfsync-{slug}" in (root / "README.md").read_text()
    assert f"`{slug}`" in (root / f"docs/{slug}.md").read_text()


@pytest.mark.parametrize(("flavour", "level", "human", "slug"), FLAVOURS)
def test_template_python_compiles_and_documents_every_hook(tmp_path, flavour, level, human, slug):
    root = bake(
        tmp_path,
        package_name=human,
        auth_flavour=flavour,
        connection_level=level,
        capabilities="ledger,trial_balance,company_details,opening_balances",
    )
    for path in root.rglob("*.py"):
        compile(path.read_text(), str(path), "exec")
    module = "sfsync_" + slug.replace("-", "_")
    tree = ast.parse((root / f"src/{module}/connector.py").read_text())
    cls = next(n for n in tree.body if isinstance(n, ast.ClassDef) and n.name.endswith("Connector"))
    hooks = {
        n.name: n
        for n in cls.body
        if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef) and n.name.startswith("sfsync_")
    }
    assert set(hooks) == {
        "sfsync_connector_info",
        "sfsync_auth",
        "sfsync_check_connection",
        "sfsync_list_companies",
        "sfsync_fetch_fiscal_years",
        "sfsync_fetch_accounts",
        "sfsync_fetch_ledger",
        "sfsync_fetch_trial_balance",
        "sfsync_fetch_opening_balances",
        "sfsync_fetch_company_details",
        "sfsync_sandbox",
    }
    undocumented = [name for name, node in hooks.items() if not ast.get_docstring(node)]
    assert undocumented == []


def test_template_capabilities_choose_the_hooks(tmp_path):
    root = bake(tmp_path, package_name="Tiny Books", capabilities="trial_balance")
    connector = (root / "src/sfsync_tiny_books/connector.py").read_text()
    compile(connector, "connector.py", "exec")
    assert "async def sfsync_fetch_trial_balance" in connector
    assert "sfsync_fetch_ledger" not in connector
    assert "sfsync_fetch_company_details" not in connector
    assert "default_granularity=Granularity.TRIAL_BALANCE" in connector


@pytest.mark.parametrize(
    "context",
    [
        {"auth_flavour": "agent", "connection_level": "firm"},
        {"auth_flavour": "form", "connection_level": "agent"},
        {"capabilities": "ledger,balance_sheet_magic"},
        {"capabilities": "company_details"},
    ],
)
def test_template_refuses_inconsistent_answers(tmp_path, context):
    with pytest.raises(FailedHookException):
        bake(tmp_path, package_name="Broken Books", **context)
    assert not (tmp_path / "sfsync-broken-books").exists()


@pytest.mark.parametrize(("flavour", "level", "human", "slug"), FLAVOURS)
def test_template_output_passes_the_workspace_lint(tmp_path, flavour, level, human, slug):
    ruff = shutil.which("ruff", path=str(Path(sys.executable).parent)) or shutil.which("ruff")
    if ruff is None:
        pytest.skip("ruff is not installed")
    root = bake(
        tmp_path,
        package_name=human,
        auth_flavour=flavour,
        connection_level=level,
        capabilities="ledger,trial_balance,company_details,opening_balances",
    )
    result = subprocess.run(
        [
            ruff,
            "check",
            "--no-cache",
            "--config",
            str(TEMPLATE.parent / "pyproject.toml"),
            str(root),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout
