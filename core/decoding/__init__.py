"""Decoding a language model: greedy, beam search and sampling, each with a step-by-step trace.

    from core.decoding import greedy, beam_search, sample
    result = beam_search(model, input_ids, num_beams=4, max_new_tokens=20)
    result.sequences, result.scores, result.trace
"""

from core.decoding.processors import SamplingSettings, entropy, stages
from core.decoding.search import DecodeResult, StepTrace, beam_search, greedy, sample
from core.decoding.stepper import ContextFit, fit_to_context

__all__ = ["ContextFit", "DecodeResult", "SamplingSettings", "StepTrace", "beam_search", "entropy", "fit_to_context",
           "greedy", "sample", "stages"]
