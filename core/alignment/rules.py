"""The 'human labeller': a visible rule that scores a response, so preferences need no people and
the true preference can be measured at every step.

Each rule is a plain function text -> score in [0, 1] (1: the preference fully met), registered by
name with its parameters and their checks. A score is what the labeller ranks by; ties are broken
by a coin flip (`core.alignment.data`), as a person who cannot tell two answers apart would.

This stands in for InstructGPT's labellers (Ouyang et al. 2022) and for the "gold reward model" of
Gao et al. 2022: because the rule is known exactly, a page can show when the learned reward model
and the rule disagree, which is what reward hacking is.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Callable

from core.errors import InvalidSetting, UnknownName, require
from core.i18n import N_
from core.metrics.rouge import has_cjk


def avoid_letter(text: str, letter: str) -> float:
    """A lipogram: the share of the response's letters that are not `letter` (either case). A
    response with no letter at all scores 0, so emptiness is not a way to comply."""
    letters = [ch for ch in text.lower() if ch.isalpha()]
    return 1.0 - letters.count(letter) / len(letters) if letters else 0.0


def include_word(text: str, word: str) -> float:
    """1 if `word` occurs as a whole word (any case), else 0. Chinese and Japanese are written
    without spaces between words, so a word with a CJK character counts wherever it occurs (我 in
    我們), as sacrebleu's `zh` tokeniser counts each such character a word of its own."""
    if has_cjk(word):
        return 1.0 if word in text else 0.0
    return 1.0 if re.search(rf"(?<![^\W\d_]){re.escape(word)}(?![^\W\d_])", text, re.IGNORECASE) else 0.0


def line_length(text: str, prefer: str) -> float:
    """The first line's length as a share of the response ("longer"), or one minus it ("shorter").
    Responses start at the beginning of a line, so the first line is a whole line of the play."""
    share = len(text.split("\n", 1)[0]) / max(1, len(text))
    return share if prefer == "longer" else 1.0 - share


def end_with(text: str, char: str) -> float:
    """The share of the response's complete lines (those that reach a newline) that end with
    `char`, trailing spaces ignored; a response with no complete line scores 0."""
    lines = text.split("\n")[:-1]
    return sum(line.rstrip().endswith(char) for line in lines) / len(lines) if lines else 0.0


def _letter(value: Any) -> str:
    require(isinstance(value, str) and len(value) == 1 and value.isalpha(),
            "letter must be a single letter such as 'e', not {value!r}.", value=value)
    return value.lower()


def _word(value: Any) -> str:
    require(isinstance(value, str) and 0 < len(value) <= 16 and value.isalpha(),
            "word must be one word of letters only (at most 16), such as 'love', not {value!r}.", value=value)
    return value.lower()


def _prefer(value: Any) -> str:
    require(value in ("shorter", "longer"), "prefer must be 'shorter' or 'longer', not {value!r}.", value=value)
    return value


def _char(value: Any) -> str:
    require(isinstance(value, str) and len(value) == 1 and not value.isspace(),
            "char must be one visible character such as '?', not {value!r}.", value=value)
    return value


@dataclass(frozen=True)
class RuleKind:
    """A registered rule: its scoring function, its parameters (default and check) and a
    description template filled from the parameters."""

    function: Callable[..., float]
    parameters: dict[str, tuple[Any, Callable[[Any], Any]]]  # name -> (default, check returning the clean value)
    description: str  # an English template (N_-marked), e.g. "avoid the letter {letter!r}"


RULES: dict[str, RuleKind] = {
    "avoid_letter": RuleKind(avoid_letter, {"letter": ("e", _letter)}, N_("avoid the letter {letter!r} (a lipogram)")),
    "include_word": RuleKind(include_word, {"word": ("love", _word)}, N_("include the word {word!r}")),
    "line_length": RuleKind(line_length, {"prefer": ("shorter", _prefer)}, N_("prefer {prefer} lines")),
    "end_with": RuleKind(end_with, {"char": ("?", _char)}, N_("end lines with {char!r}")),
}
DEFAULT_RULE = "avoid_letter"


@dataclass(frozen=True)
class Rule:
    """A rule by name with checked parameters; `score(text)` is the labeller's judgement."""

    name: str
    params: tuple[tuple[str, Any], ...]  # sorted (name, value) pairs: hashable and canonical

    @property
    def kind(self) -> RuleKind:
        return RULES[self.name]

    def score(self, text: str) -> float:
        return self.kind.function(text, **dict(self.params))

    def scores(self, texts: list[str]) -> list[float]:
        return [self.score(text) for text in texts]

    def describe(self) -> str:
        """For a person: "avoid the letter 'e' (a lipogram)"."""
        return self.kind.description.format(**dict(self.params))

    def as_dict(self) -> dict[str, Any]:
        return {"name": self.name, "params": dict(self.params)}


def make_rule(name: str = DEFAULT_RULE, **params: Any) -> Rule:
    """The rule `name` with `params` checked (missing ones take their defaults)."""
    if name not in RULES:
        raise UnknownName("No rule named {name!r}. Choose one of {known}.", name=name, known=", ".join(RULES))
    allowed = RULES[name].parameters
    unknown = sorted(set(params) - set(allowed))
    if unknown:
        raise InvalidSetting("The rule {name!r} has no parameter {unknown}; its parameters are {known}.",
                             name=name, unknown=", ".join(unknown), known=", ".join(allowed))
    clean = {key: check(params.get(key, default)) for key, (default, check) in allowed.items()}
    return Rule(name, tuple(sorted(clean.items())))


def rule_from_dict(data: dict[str, Any]) -> Rule:
    """The inverse of `Rule.as_dict` (checked again: a saved spec may come from anywhere)."""
    return make_rule(data["name"], **data.get("params", {}))
