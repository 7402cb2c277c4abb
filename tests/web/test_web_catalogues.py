"""Every word the pages say is in the Dutch and French catalogues: extracted from the templates
and page modules as ``scripts/web-catalogues`` does, then looked up in each ``.po`` file."""

from __future__ import annotations

from pathlib import Path

import pytest

pytest.importorskip("starlette")
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

WEB = Path(__file__).resolve().parents[2] / "core" / "src" / "sfsync" / "web"


def _words() -> set[str]:
    found = extract_from_dir(str(WEB), method_map=[("**.py", "python"), ("**/templates/**.html", "jinja2")],
                             keywords={"_": None})
    words = {message for _file, _line, message, _comments, _context in found}
    assert "Send code" in words and "Administrative package" in words  # the extraction sees the templates
    return {w for w in words if isinstance(w, str) and w}


@pytest.mark.parametrize("language", ["nl", "fr"])
def test_every_word_of_the_pages_is_translated(language: str) -> None:
    with (WEB / "locales" / language / "LC_MESSAGES" / "messages.po").open("rb") as source:
        catalog = read_po(source, locale=language)
    missing = sorted(w for w in _words() if not (catalog.get(w) and catalog.get(w).string))
    assert not missing, f"untranslated in {language}: {missing}"
