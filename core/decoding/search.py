"""Greedy decoding, beam search and sampling, each returning a trace of every step.

All three use the KV cache (`Stepper`). Greedy and beam search return what `model.generate`
returns for the same settings (tested): the same tokens and, to 1e-4, the same scores. Beam
search mirrors transformers 5's vectorised algorithm: 2 x num_beams candidates per step, the best
num_beams that did not just finish keep running, finished hypotheses are scored by
sum log p / generated_length ** length_penalty, and the search stops when no running beam can beat
the worst finished one (or, with `early_stopping=True`, as soon as num_beams have finished).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import torch

from core.decoding.processors import SamplingSettings, entropy, no_repeat_ngram_bans, stages
from core.decoding.stepper import Stepper, check_prompt
from core.errors import InvalidSetting

FINISHED_PENALTY = -1.0e9  # HF marks impossible candidates with this score


@dataclass
class StepTrace:
    """What one decoding step considered."""

    step: int
    candidates: list[dict] = field(default_factory=list)  # token, logprob, score, parent, status
    distributions: list[tuple[str, list[float]]] = field(default_factory=list)  # sampling: probs per stage
    chosen: int | None = None
    entropy: float | None = None  # of the final distribution (nats)
    beams: list[int] = field(default_factory=list)  # beam search: the candidates (indices) that go on, in beam order


@dataclass
class DecodeResult:
    sequences: list[list[int]]  # prompt + generated tokens
    scores: list[float]  # sequence scores: sum of log-probs (beam: length-normalised)
    token_logprobs: list[list[float]]  # log-probability of each generated token under the model
    trace: list[StepTrace]


def greedy(model, input_ids, max_new_tokens: int, *, eos_token_id: int | None = None, top: int = 5) -> DecodeResult:
    """Pick the most probable token at every step."""
    ids = check_prompt(input_ids, max_new_tokens)
    stepper = Stepper(model)
    logits = stepper.prefill(ids)[0]
    tokens, logprobs, trace = ids[0].tolist(), [], []
    for step in range(max_new_tokens):
        logp = logits.log_softmax(-1)
        choice = int(logits.argmax())
        best = torch.topk(logp, min(top, logp.numel()))
        trace.append(StepTrace(step, [{"token": int(t), "logprob": float(v), "status": "chosen" if int(t) == choice
                                       else "not chosen"} for v, t in zip(best.values, best.indices)],
                               chosen=choice, entropy=entropy(logits)))
        tokens.append(choice)
        logprobs.append(float(logp[choice]))
        if choice == eos_token_id or step == max_new_tokens - 1:
            break
        logits = stepper.step(torch.tensor([choice]))[0]
    return DecodeResult([tokens], [sum(logprobs)], [logprobs], trace)


def sample(model, input_ids, *, max_new_tokens: int, temperature: float = 1.0, top_k: int = 0, top_p: float = 1.0,
           repetition_penalty: float = 1.0, seed: int = 0, eos_token_id: int | None = None,
           trace_top: int = 30) -> DecodeResult:
    """Draw each token from the filtered distribution (temperature 0 means greedy)."""
    settings = SamplingSettings(temperature, top_k, top_p, repetition_penalty).validate()
    ids = check_prompt(input_ids, max_new_tokens)
    generator = torch.Generator().manual_seed(seed)
    stepper = Stepper(model)
    logits = stepper.prefill(ids)[0]
    tokens, logprobs, trace = ids[0].tolist(), [], []
    for step in range(max_new_tokens):
        stage_scores = stages(logits, torch.tensor(tokens), settings)
        final = stage_scores[-1][1]
        if settings.greedy:
            choice = int(final.argmax())
        else:
            choice = int(torch.multinomial(final.softmax(-1).cpu(), 1, generator=generator))
        shown = torch.topk(logits, min(trace_top, logits.numel())).indices
        trace.append(StepTrace(
            step, [{"token": int(t)} for t in shown],
            [(name, scores.softmax(-1)[shown].tolist()) for name, scores in stage_scores],
            chosen=choice, entropy=entropy(final)))
        tokens.append(choice)
        logprobs.append(float(logits.log_softmax(-1)[choice]))
        if choice == eos_token_id or step == max_new_tokens - 1:
            break
        logits = stepper.step(torch.tensor([choice]))[0]
    return DecodeResult([tokens], [sum(logprobs)], [logprobs], trace)


def beam_search(model, input_ids, *, num_beams: int, max_new_tokens: int, length_penalty: float = 1.0,
                early_stopping: bool | str = False, no_repeat_ngram_size: int = 0, num_return_sequences: int = 1,
                eos_token_id: int | None = None) -> DecodeResult:
    """Beam search as `generate(num_beams=..., do_sample=False)` runs it, with a full trace."""
    ids = check_prompt(input_ids, max_new_tokens)
    if not isinstance(num_beams, int) or num_beams < 1:
        raise InvalidSetting("num_beams must be a positive whole number, not {value!r}.", value=num_beams)
    if not 1 <= num_return_sequences <= num_beams:
        raise InvalidSetting("num_return_sequences must be between 1 and num_beams ({beams}).", beams=num_beams)
    k, prompt_len = num_beams, ids.shape[1]
    max_length = prompt_len + max_new_tokens
    keep = 2 * k  # HF keeps max(2, 1 + number of EOS ids) x num_beams candidates
    stepper = Stepper(model)
    logits = stepper.prefill(ids.repeat(k, 1))  # (k, V): HF expands the prompt before prefill
    running = ids.repeat(k, 1)  # (k, t)
    running_scores = torch.full((k,), FINISHED_PENALTY)
    running_scores[0] = 0.0  # only the first copy of the prompt is expanded at the first step
    running_logprobs: list[list[float]] = [[] for _ in range(k)]
    finished: list[tuple[float, list[int], list[float]]] = []  # (normalised score, tokens, logprobs)
    trace: list[StepTrace] = []
    cur_len = prompt_len
    while True:
        logp = logits.log_softmax(-1)  # (k, V)
        for beam in range(k):
            for banned in no_repeat_ngram_bans(running[beam].tolist(), no_repeat_ngram_size):
                logp[beam, banned] = float("-inf")
        vocab = logp.shape[-1]
        totals = (logp + running_scores[:, None]).view(-1)
        top_scores, top_index = torch.topk(totals, keep)
        parents, new_tokens = top_index // vocab, top_index % vocab
        hits_end = (new_tokens == eos_token_id) if eos_token_id is not None else torch.zeros(keep, dtype=torch.bool)
        if cur_len + 1 >= max_length:
            hits_end = torch.ones(keep, dtype=torch.bool)
        # the best `num_beams` candidates that did not just end keep running
        running_order = torch.topk(top_scores + hits_end.float() * FINISHED_PENALTY, k).indices
        # candidates among the top `num_beams` that just ended are offered to the finished set
        step = StepTrace(cur_len - prompt_len)
        offered = []
        generated = cur_len + 1 - prompt_len
        full = len(finished) >= k and early_stopping is True
        for rank in range(keep):
            parent, token, score = int(parents[rank]), int(new_tokens[rank]), float(top_scores[rank])
            status = "running" if rank in running_order.tolist() else "pruned"
            if rank < k and hits_end[rank] and score > FINISHED_PENALTY / 2 and not full:
                offered.append((score / generated ** length_penalty, running[parent].tolist() + [token],
                                running_logprobs[parent] + [float(logp[parent, token])], rank))
            step.candidates.append({"parent": parent, "token": token, "logprob": float(logp[parent, token]),
                                    "score": score, "status": status})
        kept = {id(item): item for item in sorted(finished + offered, key=lambda f: -f[0])[:k]}
        for item in offered:
            if id(item) in kept:
                step.candidates[item[3]]["status"] = "finished"
        finished = [f[:3] for f in sorted(kept.values(), key=lambda f: -f[0])]
        step.beams = running_order.tolist()
        trace.append(step)
        order = running_order
        running = torch.cat([running[parents[order]], new_tokens[order].view(-1, 1)], dim=1)
        running_logprobs = [running_logprobs[int(parents[r])] + [float(logp[parents[r], new_tokens[r]])] for r in order]
        running_scores = (top_scores + hits_end.float() * FINISHED_PENALTY)[order]
        cur_len += 1
        if not _improvement_possible(running_scores, finished, k, cur_len, prompt_len, max_length, early_stopping,
                                     length_penalty) or bool(hits_end.all()):
            break
        stepper.reorder(parents[order])
        logits = stepper.step(new_tokens[order])
    best = finished[:num_return_sequences]
    return DecodeResult([f[1] for f in best], [f[0] for f in best], [f[2] for f in best], trace)


def _improvement_possible(running_scores, finished, k, cur_len, prompt_len, max_length, early_stopping,
                          length_penalty) -> bool:
    """HF's stopping heuristic: can the best running beam still beat the worst finished one?"""
    if len(finished) >= k and early_stopping is True:
        return False
    if len(finished) < k:
        return True
    length = (max_length if early_stopping == "never" and length_penalty > 0.0 else cur_len) - prompt_len
    return float(running_scores[0]) / length ** length_penalty > min(f[0] for f in finished)
