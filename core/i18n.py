"""The interface's languages: English (the source) and Simplified Chinese, from gettext catalogues.

Strings are written in English in the code and marked where they are defined: `N_("...")` for a
label or sentence shown later (it returns the text unchanged, and marks it for extraction), and
the message templates of `core.errors` and of progress reports. Babel extracts them into
`locale/messages.pot` (`python -m core.i18n extract`) and the translations live in
`locale/<language>/LC_MESSAGES/messages.po`, read here with Babel at run time, so no compiled
catalogue is kept in the repository. The page translates at the moment it draws, in the language
of the session that draws (`app.i18n`), and fills the named fields after translating.

After changing strings: `python -m core.i18n update` (extract, add the new strings to the Chinese
catalogue untranslated, drop the ones gone), then translate what `tests/core/test_i18n.py` lists.
"""

from __future__ import annotations

import functools
import subprocess
import sys
from pathlib import Path
from typing import Callable

LOCALE_DIR = Path(__file__).resolve().parent.parent / "locale"
SOURCE_LANGUAGE = "en"
LANGUAGES = {"en": "English", "zh": "中文"}
# what marks a translatable string, for extraction: the marker (progress messages and labels
# defined in core use it too), the app's translating call, the typed errors of core.errors (first
# argument) and `require` (second)
KEYWORDS = ("N_", "t", "InvalidSetting", "InvalidText", "UnknownName", "PlaygroundError", "JobCancelled",
            "Refused", "Unsafe", "UnknownWord", "require:2")


def N_(text: str) -> str:
    """Mark `text` for translation where it is shown; returns it unchanged."""
    return text


@functools.lru_cache(maxsize=None)
def catalogue(language: str) -> dict[str, str]:
    """msgid -> translation for `language` (empty for the source language or a missing file).

    Fuzzy and empty entries are left out: an untranslated string shows in English rather than
    blank (and the catalogue test fails on it)."""
    path = LOCALE_DIR / language / "LC_MESSAGES" / "messages.po"
    if language == SOURCE_LANGUAGE or not path.is_file():
        return {}
    from babel.messages.pofile import read_po

    with open(path, "rb") as handle:
        parsed = read_po(handle, locale=language)
    return {message.id: message.string for message in parsed
            if message.id and message.string and not message.fuzzy and isinstance(message.id, str)}


def translator(language: str) -> Callable[[str], str]:
    """A gettext for `language`: the translation if there is one, else the English text."""
    table = catalogue(language if language in LANGUAGES else SOURCE_LANGUAGE)
    return lambda text: table.get(text, text) if text else text


def extract(output: Path = LOCALE_DIR / "messages.pot") -> Path:
    """Run Babel's extraction over core/ and app/ with the playground's keywords."""
    root = LOCALE_DIR.parent
    keywords = [arg for keyword in KEYWORDS for arg in ("-k", keyword)]
    subprocess.run([sys.executable, "-m", "babel.messages.frontend", "extract", "--no-wrap", "--sort-by-file",
                    "--no-location", "--omit-header", "-F", str(root / "babel.cfg"), *keywords, "-o", str(output),
                    "core", "app"], cwd=root, check=True, capture_output=True)
    return output


def update(language: str = "zh") -> Path:
    """Extract, then bring `language`'s catalogue in line: new strings added untranslated (the
    catalogue test lists them), strings no longer in the code dropped. Fills nothing in.

    Done with Babel's catalogue API rather than `pybabel update`, which rewrites the file in the
    template's order and drops its header: here the entries stay sorted by message and unwrapped,
    as the catalogue is kept, so an update's diff is only the strings that changed."""
    from babel.messages.pofile import read_po, write_po

    template_path = extract()
    path = LOCALE_DIR / language / "LC_MESSAGES" / "messages.po"
    with open(template_path, "rb") as handle:
        template = read_po(handle)
    with open(path, "rb") as handle:
        catalogue_ = read_po(handle, locale=language)
    catalogue_.update(template, no_fuzzy_matching=True, update_header_comment=False)
    with open(path, "wb") as handle:
        write_po(handle, catalogue_, width=0, no_location=True, omit_header=False, ignore_obsolete=True,
                 sort_output=True)
    catalogue.cache_clear()
    return path


if __name__ == "__main__":
    command = sys.argv[1:2]
    if command == ["extract"]:
        print(extract())
    elif command == ["update"]:
        print(update())
    else:
        print("python -m core.i18n extract | update")
