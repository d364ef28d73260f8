"""The data of the chain: prompts cut from the shipped corpus, demonstrations that satisfy the
rule (for SFT), and K responses per prompt ranked by the rule (for the reward model and DPO).

A prompt is the `prompt_tokens` tokens that end a line of the corpus; its response is what
follows, `response_tokens` long, so every response starts a new line of the play. Prompts for
training come from the first 90% of the text, those for evaluation from the last 10%: the part
the base language model held out (`core.lm.train.split_ids`).

Demonstrations stand in for InstructGPT's labeller-written answers (Ouyang et al. 2022, step 1):
the corpus's own continuations that the rule scores highest. Rankings stand in for its labellers'
rankings of K sampled answers (step 2): the rule orders them, and breaks ties by a coin flip.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import torch

from core.alignment.rules import Rule
from core.alignment.sampling import sample_responses
from core.errors import InvalidText, require
from core.lm.train import VAL_FRACTION, training_text
from core.progress import ProgressCallback, Progress
from core.i18n import N_


@dataclass(frozen=True)
class Windows:
    """The corpus as token ids and the positions where a line starts (a response may begin)."""

    ids: torch.Tensor  # (N,) the whole corpus
    train_starts: torch.Tensor  # (S,) line starts in the first 90%
    held_out_starts: torch.Tensor  # (H,) line starts in the last 10%
    prompt_tokens: int
    response_tokens: int

    @classmethod
    def of(cls, tokenizer, corpus: str, prompt_tokens: int, response_tokens: int) -> "Windows":
        """The windows of a corpus (by name), read as the language model read it."""
        text, _ = training_text(corpus=corpus)
        return cls.of_text(tokenizer, text, prompt_tokens, response_tokens)

    @classmethod
    def of_text(cls, tokenizer, text: str, prompt_tokens: int, response_tokens: int) -> "Windows":
        ids = torch.tensor(tokenizer.encode(text), dtype=torch.long)
        ends_line = torch.tensor([tokenizer.decode([i]).endswith("\n") for i in range(tokenizer.vocab_size)])
        starts = (ends_line[ids[:-1]].nonzero().view(-1) + 1)  # (S,) positions right after a newline
        starts = starts[(starts >= prompt_tokens) & (starts + response_tokens <= len(ids))]
        cut = int(len(ids) * (1 - VAL_FRACTION))
        train, held_out = starts[starts + response_tokens <= cut], starts[starts - prompt_tokens >= cut]
        if len(train) == 0 or len(held_out) == 0:
            raise InvalidText("The text has too few lines to cut prompts from: use a longer text.")
        return cls(ids, train, held_out, prompt_tokens, response_tokens)

    def prompts(self, starts: torch.Tensor) -> torch.Tensor:
        """(n,) line starts -> (n, P) the tokens before each."""
        return self.ids[starts[:, None] + torch.arange(-self.prompt_tokens, 0)]

    def responses(self, starts: torch.Tensor) -> torch.Tensor:
        """(n,) line starts -> (n, R) the corpus's own continuation."""
        return self.ids[starts[:, None] + torch.arange(self.response_tokens)]

    def evaluation_prompts(self, count: int) -> torch.Tensor:
        """(count, P) held-out prompts spread evenly over the held-out text: the fixed set every
        model is compared on."""
        index = torch.linspace(0, len(self.held_out_starts) - 1, min(count, len(self.held_out_starts))).long()
        return self.prompts(self.held_out_starts[index])


def demonstrations(windows: Windows, tokenizer, rule: Rule, count: int,
                   seed: int) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """The `count` corpus continuations the rule scores highest (ties in a seeded random order):
    prompts (n, P), responses (n, R) and their rule scores (n,)."""
    responses = windows.responses(windows.train_starts)
    scores = torch.tensor(rule.scores([tokenizer.decode(r) for r in responses.tolist()]))
    generator = torch.Generator().manual_seed(seed)
    shuffle = torch.randperm(len(scores), generator=generator)
    best = shuffle[torch.sort(-scores[shuffle], stable=True).indices[:count]]
    require(bool(scores[best].max() > 0), "No line of the corpus satisfies the rule ({rule}) at all: choose "
            "another letter, word or character.", rule=rule.describe())
    return windows.prompts(windows.train_starts[best]), responses[best], scores[best]


def rank(scores: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
    """scores (N, K) -> order (N, K): indices best first, ties broken by a seeded coin flip."""
    shuffle = torch.rand(scores.shape, generator=generator).argsort(-1)  # (N, K) a random order
    by_score = torch.sort(-scores.gather(1, shuffle), dim=1, stable=True).indices
    return shuffle.gather(1, by_score)


@dataclass
class Preferences:
    """K responses per prompt, best first by the rule: what the labeller produced."""

    prompts: torch.Tensor  # (N, P)
    responses: torch.Tensor  # (N, K, R) best first
    scores: torch.Tensor  # (N, K) the rule's scores, best first
    held_out: int  # the last `held_out` prompts are kept for evaluation
    examples: list[dict] = field(default_factory=list)  # the first groups as text, for the page

    @property
    def k(self) -> int:
        return self.responses.shape[1]

    @property
    def trained(self) -> int:
        return len(self.prompts) - self.held_out

    def sequences(self, groups: torch.Tensor) -> torch.Tensor:
        """(n,) group indices -> (n, K, P + R) prompt + response ids, best first."""
        prompts = self.prompts[groups][:, None].expand(-1, self.k, -1)  # (n, K, P)
        return torch.cat([prompts, self.responses[groups]], dim=-1)

    def pairs(self, held_out: bool = False) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """Every (better, worse) pair of every group: K-choose-2 per prompt, as InstructGPT's
        reward model sees them. Returns chosen (M, T), rejected (M, T) and whether the rule
        really preferred the chosen one (M,) (False for a tie the coin decided)."""
        groups = torch.arange(self.trained, len(self.prompts)) if held_out else torch.arange(self.trained)
        sequences = self.sequences(groups)  # (n, K, T)
        above, below = torch.triu_indices(self.k, self.k, offset=1)
        strict = self.scores[groups][:, above] > self.scores[groups][:, below]  # (n, pairs)
        return (sequences[:, above].flatten(0, 1), sequences[:, below].flatten(0, 1), strict.flatten())

    def telling(self, count: int) -> list[int]:
        """Up to `count` trained groups to show, those the rule tells apart first: a group whose
        responses all score the same is ranked by coin flips and shows nothing of the preference."""
        scores = self.scores[:self.trained]
        apart = (scores.amax(1) > scores.amin(1)).tolist()
        return ([g for g, told in enumerate(apart) if told] + [g for g, told in enumerate(apart) if not told])[:count]

    def decoded(self, tokenizer, groups: Sequence[int]) -> list[dict]:
        """Ranked groups as plain data: prompt text and each response's text and score."""
        return [{"prompt": tokenizer.decode(self.prompts[g].tolist()),
                 "responses": [{"text": tokenizer.decode(r.tolist()), "score": float(s)}
                               for r, s in zip(self.responses[g], self.scores[g])]} for g in groups]


def make_preferences(model, tokenizer, windows: Windows, rule: Rule, *, prompts: int, k: int, held_out: int,
                     seed: int, progress: ProgressCallback | None = None) -> Preferences:
    """Sample `k` responses to each of `prompts` training prompts from `model` (at temperature 1)
    and rank them by `rule`; the last `held_out` prompts are kept aside."""
    generator = torch.Generator().manual_seed(seed)
    chosen = windows.train_starts[torch.randperm(len(windows.train_starts), generator=generator)[:prompts]]
    require(len(chosen) == prompts, "The corpus has {have} prompts to rank responses for; ask for at most that.",
            have=len(windows.train_starts))
    device = next(model.parameters()).device
    prompt_ids = windows.prompts(chosen)  # (N, P)
    tracker = Progress(progress, prompts)
    responses, batch = [], max(1, 256 // k)
    for start in range(0, prompts, batch):
        part = prompt_ids[start:start + batch].repeat_interleave(k, dim=0).to(device)  # (n K, P)
        responses.append(sample_responses(model, part, windows.response_tokens, seed=seed + start).cpu())
        tracker.update(min(prompts, start + batch), N_("sampled {step} of {steps} prompts x {k}"), fields={"k": k})
    responses_flat = torch.cat(responses)  # (N K, R)
    scores = torch.tensor(rule.scores([tokenizer.decode(r) for r in responses_flat.tolist()])).view(prompts, k)
    order = rank(scores, generator)  # (N, K)
    responses_ranked = responses_flat.view(prompts, k, -1).gather(1, order[:, :, None].expand(-1, -1,
                                                                                               windows.response_tokens))
    preferences = Preferences(prompt_ids, responses_ranked, scores.gather(1, order), held_out)
    preferences.examples = preferences.decoded(tokenizer, preferences.telling(3))
    return preferences
