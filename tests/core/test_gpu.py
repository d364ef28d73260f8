"""Every training path on CUDA for a few steps, equal to the CPU path within stated tolerances.

Skipped without a CUDA device (`pytest -m gpu` on a GPU server). Tolerances: bf16 autocast on the
GPU against float32 on the CPU moves a tiny model's loss by well under 0.05 nats in 20 steps;
word2vec's GPU path draws its own random numbers, so it is held to the same quality, not the same
vectors.
"""

from __future__ import annotations

import pytest
import torch

from core.lm.config import LMConfig

pytestmark = pytest.mark.gpu
TINY = LMConfig(n_layer=2, n_head=2, n_embd=64, block_size=32, batch_size=16, eval_interval=10, sample_interval=1000,
                snapshot_interval=1000)
LOSS_TOLERANCE = 0.05


def both(train) -> tuple:
    return train(torch.device("cpu")), train(torch.device("cuda"))


def final_losses(history: list[dict]) -> tuple[float, float]:
    return history[-1]["train_loss"], [h["val_loss"] for h in history if "val_loss" in h][-1]


def test_language_model_on_cuda_equals_cpu():
    from core.lm import train_lm

    cpu, gpu = both(lambda device: train_lm(TINY, corpus="tinyshakespeare", steps=20, device=device,
                                            max_chars=100_000))
    for a, b in zip(final_losses(cpu.history), final_losses(gpu.history)):
        assert abs(a - b) < LOSS_TOLERANCE
    assert next(gpu.model.parameters()).device.type == "cuda"


def test_masked_and_toy_models_on_cuda_equal_cpu():
    from core.lm.masked import masked_config, train_masked_lm
    from core.lm.toy import train_toy

    cpu, gpu = both(lambda device: train_masked_lm(masked_config().replace(n_layer=1), corpus="tinyshakespeare",
                                                   steps=20, device=device))
    assert abs(cpu.history[-1]["val_loss"] - gpu.history[-1]["val_loss"]) < LOSS_TOLERANCE
    cpu, gpu = both(lambda device: train_toy("copy", length=4, steps=20, device=device))
    assert abs(cpu.lm.history[-1]["train_loss"] - gpu.lm.history[-1]["train_loss"]) < LOSS_TOLERANCE


def test_anatomy_variant_on_cuda_equals_cpu():
    from core.anatomy.experiments import EXPERIMENTS, train_variant

    changes = {**EXPERIMENTS["positions"].changes("ALiBi"), "eval_batches": 2, "eval_interval": 10}
    cpu, gpu = both(lambda device: train_variant(changes, corpus="tinyshakespeare", steps=20, device=device,
                                                 max_chars=100_000))
    assert abs(cpu.final_val_loss - gpu.final_val_loss) < LOSS_TOLERANCE
    assert cpu.init_grad_norms == pytest.approx(gpu.init_grad_norms, rel=1e-2)


def test_word2vec_gpu_path_learns_the_same_structure():
    from tests.core.test_embeddings import planted_corpus, recovers_structure
    from core.embeddings import train_word2vec

    vectors = train_word2vec(planted_corpus(), dim=20, window=3, min_count=1, epochs=5, subsample=0, device="cuda")
    assert recovers_structure(vectors)


def test_out_of_memory_on_cuda_says_so_and_frees_the_device(tmp_path):
    from core.jobs import ArtifactStore, JobManager, JobState
    from tests.jobkinds import bigram_spec, register_test_kind

    register_test_kind()
    manager = JobManager(ArtifactStore(tmp_path), workers=1, device="cuda")
    failed = manager.run(bigram_spec(alloc_bytes=2**50), timeout=60)
    assert failed.state is JobState.FAILED and "NLP_PLAYGROUND_DEVICE=cpu" in str(failed.error)
    assert manager.run(bigram_spec(steps=2), timeout=60).state is JobState.DONE


def test_kv_cache_peak_memory_is_measured_on_cuda():
    from core.views.memory import measure_caches

    measured = measure_caches(2, 8, 4, device="cuda")
    assert all(row["agree"] for row in measured.rows)
    assert all(row["gpu_peak"] and row["gpu_peak"] >= row["total"] for row in measured.rows)
