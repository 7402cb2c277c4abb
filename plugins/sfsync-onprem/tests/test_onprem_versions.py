"""Versions by namespace, SAF-T 1.30, and the sandbox's generated auditfiles against the official XSD."""

from __future__ import annotations

from pathlib import Path

import pytest
from lxml import etree
from sfsync_onprem.readers import source_for
from sfsync_onprem.sandbox import OnpremSandbox, sample_path

SPECS = Path(__file__).resolve().parents[3].parent / "shared" / "reference" / "specs"


@pytest.mark.parametrize(
    ("namespace", "version"),
    [("http://www.auditfiles.nl/XAF/3.0", "3.0"), ("http://www.auditfiles.nl/XAF/3.1", "3.1"),
     ("http://www.odb.belastingdienst.nl/Belastingdienst/BCPP/1.0/structures/XmlAuditfileFinancieel3.2.1", "3.2.1")],
)
def test_onprem_xaf_version_by_namespace(tmp_path: Path, namespace: str, version: str) -> None:
    text = sample_path("ExactOnline_V32_2016.xml").read_text(encoding="utf-8-sig")
    path = tmp_path / "audit.xaf"
    path.write_text(text.replace("http://www.auditfiles.nl/XAF/3.2", namespace), encoding="utf-8")
    source = source_for(path)
    assert source is not None
    summary = source.summarize()
    assert summary.format == f"XAF {version}"
    assert len(list(source.lines(summary))) == 167


def test_onprem_saft_130(tmp_path: Path) -> None:
    text = sample_path("ExampleFile_SAF-T_Financial_999999999_20161125213512.xml").read_text(encoding="utf-8-sig")
    text = text.replace("<n1:AuditFileVersion>1.0</n1:AuditFileVersion>", "<n1:AuditFileVersion>1.30</n1:AuditFileVersion>")
    text = text.replace("<n1:StandardAccountID>19</n1:StandardAccountID>",
                        "<n1:GroupingCategory>RF-1167</n1:GroupingCategory><n1:GroupingCode>19</n1:GroupingCode>")
    text = text.replace("<n1:NumberOfEntries>2</n1:NumberOfEntries>", "<n1:NumberOfEntries>3</n1:NumberOfEntries>")
    path = tmp_path / "saft130.xml"
    path.write_text(text, encoding="utf-8")
    source = source_for(path)
    assert source is not None
    summary = source.summarize()
    assert summary.format == "SAF-T NO 1.30"
    assert any("NumberOfEntries 3 differs from the 2 transactions" in w for w in summary.warnings)


@pytest.mark.skipif(not (SPECS / "xaf").is_dir(), reason="the reference specs are not beside the repository")
def test_onprem_sandbox_auditfiles_are_valid_xaf32() -> None:
    schema = etree.XMLSchema(etree.parse(str(SPECS / "xaf" / "XmlAuditfileFinancieel3.2.xsd")))
    sandbox = OnpremSandbox()
    sandbox.add_entry("DEMOBV")
    files = sorted((sandbox.root / "DEMOBV").glob("*.xaf"))
    assert len(files) == 2
    for path in files:
        assert schema.validate(etree.parse(str(path))), schema.error_log
