"""Dutch, French and English: the pages' words come from gettext catalogues (``locales/``, made
and updated with Babel, see ``scripts/web-catalogues``), English being the source language.

The ``.po`` files are the catalogues; they are compiled in memory when the host starts, so the
repository carries no compiled ``.mo`` files and a translator's edit shows on the next start.
"""

from __future__ import annotations

import functools
import io
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import NullTranslations, Translations

__all__ = ["DEFAULT_LANGUAGE", "LANGUAGES", "choose_language", "translations"]

LOCALES = Path(__file__).with_name("locales")
LANGUAGES = {"nl": "Nederlands", "fr": "Français", "en": "English"}
"""The languages the pages speak, as a person names them in the switch."""
DEFAULT_LANGUAGE = "nl"


@functools.cache
def translations(language: str) -> NullTranslations:
    """The catalogue of ``language`` (English: the source words as they are)."""
    path = LOCALES / language / "LC_MESSAGES" / "messages.po"
    if language == "en" or not path.is_file():
        return NullTranslations()
    with path.open("rb") as source:
        catalog = read_po(source, locale=language)
    compiled = io.BytesIO()
    write_mo(compiled, catalog)
    compiled.seek(0)
    return Translations(compiled)


def choose_language(chosen: str | None, accept_language: str) -> str:
    """The session's chosen language, else the browser's first known one, else Dutch."""
    if chosen in LANGUAGES:
        return chosen
    for part in accept_language.split(","):
        code = part.split(";")[0].strip().lower()[:2]
        if code in LANGUAGES:
            return code
    return DEFAULT_LANGUAGE
