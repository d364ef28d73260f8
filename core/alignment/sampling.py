"""Sampling a batch of responses with the KV cache, and scoring responses under a model.

Every response has the same number of tokens (`response_tokens`): a character model has no
end-of-text token to stop on, and equal lengths keep PPO and DPO free of padding masks.
Sampling draws on the model's own device from a generator seeded there, so a GPU never waits
for the CPU between tokens.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from core.decoding.stepper import Stepper


def device_generator(device: torch.device, seed: int) -> torch.Generator:
    """A generator on `device` started at `seed` (CPU and CUDA draw different streams)."""
    return torch.Generator(device=device).manual_seed(seed)


@torch.no_grad()
def generate(model, prompts: torch.Tensor, response_tokens: int, *, generator: torch.Generator,
             temperature: float = 1.0) -> torch.Tensor:
    """prompts: (B, P) token ids on the model's device -> responses (B, R) sampled at `temperature`."""
    stepper = Stepper(model)
    logits = stepper.prefill(prompts)  # (B, V) float32
    tokens = []
    for step in range(response_tokens):
        probs = (logits / temperature).softmax(-1)  # (B, V)
        token = torch.multinomial(probs, 1, generator=generator).view(-1)  # (B,)
        tokens.append(token)
        if step + 1 < response_tokens:
            logits = stepper.step(token)
    return torch.stack(tokens, dim=1)  # (B, R)


def token_logprobs(logits: torch.Tensor, sequences: torch.Tensor, prompt_tokens: int) -> torch.Tensor:
    """logits: (B, T, V) of `sequences` (B, T) -> (B, R) log-probability of each response token,
    R = T - prompt_tokens (the logit at position t predicts token t + 1)."""
    response_logits = logits[:, prompt_tokens - 1:-1].float()  # (B, R, V)
    targets = sequences[:, prompt_tokens:]  # (B, R)
    return torch.gather(response_logits.log_softmax(-1), -1, targets.unsqueeze(-1)).squeeze(-1)


def response_logprobs(model, sequences: torch.Tensor, prompt_tokens: int) -> torch.Tensor:
    """(B, T) prompt + response ids -> (B, R) per-token log-probabilities of the response."""
    return token_logprobs(model(input_ids=sequences).logits, sequences, prompt_tokens)


def entropy(logits: torch.Tensor) -> torch.Tensor:
    """(..., V) -> (...) entropy in nats of each next-token distribution."""
    logp = logits.float().log_softmax(-1)
    return -(logp.exp() * logp).sum(-1)


def response_loss(logits: torch.Tensor, sequences: torch.Tensor, prompt_tokens: int) -> torch.Tensor:
    """Mean next-token cross-entropy over the response tokens only (SFT's loss; the prompt is
    given, not learned). Equals a `transformers` model's loss with the prompt labelled -100."""
    response_logits = logits[:, prompt_tokens - 1:-1].float()  # (B, R, V)
    return F.cross_entropy(response_logits.reshape(-1, response_logits.size(-1)),
                           sequences[:, prompt_tokens:].reshape(-1))


@torch.no_grad()
def sample_responses(model, prompts: torch.Tensor, response_tokens: int, *, seed: int,
                     batch_size: int = 256) -> torch.Tensor:
    """Responses (N, R) for many prompts (N, P), sampled at temperature 1 in batches."""
    generator = device_generator(prompts.device, seed)
    parts = [generate(model, prompts[start:start + batch_size], response_tokens, generator=generator)
             for start in range(0, len(prompts), batch_size)]
    return torch.cat(parts)


@torch.no_grad()
def sequence_logprobs(model, sequences: torch.Tensor, prompt_tokens: int, *, batch_size: int = 256) -> torch.Tensor:
    """(N, T) -> (N,) summed response log-probabilities, in batches (no gradient)."""
    parts = [response_logprobs(model, sequences[start:start + batch_size], prompt_tokens).sum(-1)
             for start in range(0, len(sequences), batch_size)]
    return torch.cat(parts)
