"""Memory of language models: the KV cache predicted and measured, weights, training state.

    from core.memory import kv_cache_bytes, measure_kv_cache, model_memory, PRESETS
"""

from core.memory.accounting import (BYTES_PER_VALUE, CacheMeasurement, Memory, bytes_per_value, check_heads,
                                    inference_activations, kv_cache_bytes, measure_kv_cache, model_memory,
                                    sequences_that_fit)
from core.memory.presets import PRESETS, Preset, parameter_count

__all__ = ["BYTES_PER_VALUE", "CacheMeasurement", "Memory", "PRESETS", "Preset", "bytes_per_value", "check_heads",
           "inference_activations", "kv_cache_bytes", "measure_kv_cache", "model_memory", "parameter_count",
           "sequences_that_fit"]
