"""The interface's catalogues: every string in the Chinese one, none stale, fields intact, no string
built in a way extraction cannot see."""

from __future__ import annotations

import ast
import re
import string
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

from core.i18n import KEYWORDS, LOCALE_DIR, extract, translator

ROOT = Path(__file__).resolve().parents[2]
ZH = LOCALE_DIR / "zh" / "LC_MESSAGES" / "messages.po"
CALLS = {keyword.split(":")[0]: int(keyword.split(":")[1]) - 1 if ":" in keyword else 0 for keyword in KEYWORDS}


@pytest.fixture(scope="module")
def template(tmp_path_factory):
    path = extract(tmp_path_factory.mktemp("i18n") / "messages.pot")
    with open(path, "rb") as handle:
        return {message.id for message in read_po(handle) if message.id}


@pytest.fixture(scope="module")
def chinese():
    with open(ZH, "rb") as handle:
        return {message.id: message for message in read_po(handle, locale="zh") if message.id}


def test_every_string_has_a_chinese_translation(template, chinese):
    missing = sorted(msgid for msgid in template
                     if msgid not in chinese or not chinese[msgid].string or chinese[msgid].fuzzy)
    assert not missing, f"{len(missing)} strings untranslated (python -m core.i18n extract, then locale/zh):\n" + \
        "\n".join(missing[:40])


def test_no_translation_is_stale(template, chinese):
    stale = sorted(set(chinese) - template)
    assert not stale, f"{len(stale)} entries no longer in the code:\n" + "\n".join(stale[:40])


def _fields(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def test_translations_keep_every_field_and_format(chinese):
    broken = [msgid for msgid, message in chinese.items()
              if message.string and _fields(msgid) != _fields(message.string)]
    assert not broken, broken[:20]


def test_translating_calls_are_given_plain_templates():
    """An f-string (or a concatenation with a variable) cannot be extracted nor translated."""
    found = []
    for path in list((ROOT / "core").rglob("*.py")) + list((ROOT / "app").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Call):
                continue
            name = node.func.id if isinstance(node.func, ast.Name) else getattr(node.func, "attr", "")
            position = CALLS.get(name)
            if position is None or len(node.args) <= position:
                continue
            argument = node.args[position]
            if isinstance(argument, ast.JoinedStr):
                found.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert not found, found


def test_the_translator_falls_back_to_english_and_fills_fields():
    zh = translator("zh")
    assert zh("a sentence nobody translated") == "a sentence nobody translated"
    assert translator("xx")("Tokenizers") == "Tokenizers"
    assert re.search(r"[\u4e00-\u9fff]", zh("Tokenizers"))
