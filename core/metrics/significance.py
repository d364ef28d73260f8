"""Bootstrap resampling of a corpus metric: its confidence interval, and a paired test of two systems.

Both resample segments with replacement and rescore each resample from summed per-segment statistics
(BLEU's or chrF's), never re-tokenising. The paired test is sacrebleu 2.6.0's `paired_bs` (Koehn 2004,
as Moses' `bootstrap-hypothesis-difference-significance.pl` runs it), and every number equals
sacrebleu's `PairedTest(..., test_type="bs")` (tested): the same resamples for both systems
(`numpy.random.default_rng(seed).choice`), statistics summed in float32 as sacrebleu sums them, the
95% interval as half the spread between the 2.5th and 97.5th percentile resample, and its p-value,
the share of resamples whose centred difference exceeds the real one,
`(#{|b_k - a_k| - mean_k |b_k - a_k| > |B - A|} + 1) / (n_samples + 1)`.

Kept as sacrebleu has it: the count is strict, so a system compared with itself gets the smallest
p-value, 1 / (n_samples + 1), not 1. Deliberate difference: the seed is always honoured; sacrebleu
treats a seed of 0 as "no seed".
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Sequence

import numpy as np

from core.errors import require

N_SAMPLES = 1000  # sacrebleu's default number of resamples for the paired bootstrap
SEED = 12345  # sacrebleu's default seed (its SACREBLEU_SEED)

Scorer = Callable[[Sequence[float]], float]  # summed statistics -> score


@dataclass(frozen=True)
class Estimate:
    """One system's score and what resampling the test set says about it."""

    score: float  # on the whole test set
    mean: float  # mean score over the resamples
    ci: float  # half-width of the 95% interval around the mean


@dataclass(frozen=True)
class PairedBootstrap:
    baseline: Estimate
    candidate: Estimate
    p_value: float  # chance of a difference this large if the systems were equally good
    n_samples: int
    seed: int


def resample(n_segments: int, n_samples: int, seed: int) -> np.ndarray:
    """Segment indices of every resample, shape (n_samples, n_segments), as sacrebleu draws them."""
    require(isinstance(n_samples, int) and n_samples >= 1,
            "The number of resamples must be a positive whole number, not {n_samples!r}.", n_samples=n_samples)
    require(isinstance(seed, int), "seed must be a whole number, not {seed!r}.", seed=seed)
    return np.random.default_rng(seed).choice(n_segments, size=(n_samples, n_segments), replace=True)


def bootstrap_scores(stats: np.ndarray, score: Scorer, indices: np.ndarray) -> np.ndarray:
    """The score of each resample, statistics (segments, k) summed in float32 as sacrebleu sums them."""
    stats = np.asarray(stats, dtype="float32")
    return np.array([score(stats[rows].sum(0)) for rows in indices])


def estimate_ci(scores: np.ndarray) -> tuple[float, float]:
    """Mean of the resample scores and the half-width of their 95% interval (1/40 cut from each end)."""
    scores = np.sort(scores)
    low = len(scores) // 40
    return float(scores.mean()), float(0.5 * (scores[len(scores) - low - 1] - scores[low]))


def paired_bootstrap(baseline_stats: np.ndarray, candidate_stats: np.ndarray, score: Scorer, *,
                     n_samples: int = N_SAMPLES, seed: int = SEED) -> PairedBootstrap:
    """Is the candidate's difference from the baseline more than the luck of the test set?

    Both arguments are per-segment statistics on the same segments, shape (segments, k);
    `score` turns summed statistics into a score. Each resample scores both systems on the same
    segments; the p-value counts how often the resampled difference, centred on its mean, exceeds
    the real difference.
    """
    require(len(baseline_stats) == len(candidate_stats),
            "The baseline has {baseline:,} segments and the candidate {candidate:,}: score both systems on the "
            "same test set.", baseline=len(baseline_stats), candidate=len(candidate_stats))
    indices = resample(len(baseline_stats), n_samples, seed)
    estimates, samples = [], []
    for stats in (baseline_stats, candidate_stats):
        samples.append(bootstrap_scores(stats, score, indices))
        estimates.append(Estimate(score(np.asarray(stats).sum(0).tolist()), *estimate_ci(samples[-1])))
    differences = np.abs(samples[1] - samples[0])
    exceed = np.sum(differences - differences.mean() > abs(estimates[1].score - estimates[0].score)).item()
    return PairedBootstrap(*estimates, (exceed + 1) / (n_samples + 1), n_samples, seed)
