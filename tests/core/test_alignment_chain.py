"""The whole chain as cached jobs on a very small model trained on Tiny Shakespeare: each step
moves behaviour the way it should, artifacts come back from disk equal, and beta = 0 lets PPO
drift far from the SFT model (reward hacking's first sign)."""

from __future__ import annotations

import pytest
import torch

from core.alignment.configs import (DPOConfig, EvalConfig, LoRAConfig, PPOConfig, PreferenceConfig, RewardConfig,
                                    SFTConfig)
from core.alignment.jobs import (dpo_spec, evaluation_spec, lora_spec, ppo_spec, preferences_spec, reward_spec,
                                 sft_spec, upstream)
from core.alignment.rules import make_rule
from core.jobs import ArtifactStore, JobManager, JobState, get_kind
from core.lm.config import LMConfig
from core.lm.jobs import lm_spec

pytestmark = pytest.mark.slow

BASE = lm_spec(steps=150, config=LMConfig(n_layer=2, n_head=2, n_embd=64, block_size=48, eval_interval=50,
                                          sample_interval=150, snapshot_interval=150))
SFT = sft_spec(BASE, make_rule("avoid_letter", letter="e"),
               SFTConfig(steps=60, prompt_tokens=16, response_tokens=32, demonstrations=10000, eval_prompts=32,
                         eval_interval=30))
PREFERENCES = preferences_spec(SFT, PreferenceConfig(k=4, prompts=192, held_out=32))
REWARD = reward_spec(PREFERENCES, RewardConfig(steps=120))
PPO_SETTINGS = PPOConfig(rollouts=12, batch_size=32, ppo_epochs=2, minibatches=2, sample_every=4)
PPO = ppo_spec(REWARD, PPO_SETTINGS)
DPO = dpo_spec(PREFERENCES, DPOConfig(steps=50, batch_size=16, eval_interval=25, eval_prompts=32))
EVALUATION = evaluation_spec(PPO, DPO, EvalConfig(prompts=32, seeds=(0, 1), best_of=(1, 4)))


@pytest.fixture(scope="module")
def store(tmp_path_factory) -> ArtifactStore:
    return ArtifactStore(tmp_path_factory.mktemp("alignment"))


@pytest.fixture(scope="module")
def chain(store) -> dict:
    manager = JobManager(store, workers=1, device="cpu")
    jobs = {spec.kind: manager.run(spec) for spec in (PPO, DPO, EVALUATION)}
    assert all(job.state is JobState.DONE for job in jobs.values()), [job.error for job in jobs.values()]
    return {kind: manager.lookup(spec).result
            for kind, spec in (("sft", SFT), ("preferences", PREFERENCES), ("reward", REWARD), ("ppo", PPO),
                               ("dpo", DPO), ("alignment-eval", EVALUATION))}


def test_sft_moves_samples_towards_the_rule(chain):
    summary = chain["sft"].summary
    assert summary["rule_score_after"] > summary["rule_score_before"] + 0.02, summary
    assert chain["sft"].lm.history[-1]["kl"] > 0  # it moved away from the base model to get there


def test_rankings_are_ordered_by_the_rule(chain):
    preferences = chain["preferences"]
    assert preferences.responses.shape == (192, 4, 32)
    assert torch.all(preferences.scores[:, :-1] >= preferences.scores[:, 1:])
    shown = preferences.telling(1)[0]
    assert [r["score"] for r in preferences.examples[0]["responses"]] == preferences.scores[shown].tolist()


def test_the_reward_model_agrees_with_the_rule_on_held_out_pairs(chain):
    summary = chain["reward"].summary
    assert summary["pair_accuracy"] > 0.6 and summary["agreement"] > 0.2, summary


def test_rewards_are_normalised_on_the_sft_samples(chain):
    """Unlike TRL, and as Ziegler et al. 2019: mean 0, variance 1 on the responses it trained on."""
    preferences = chain["preferences"]
    rewards = chain["reward"].model.score(preferences.sequences(torch.arange(preferences.trained)).flatten(0, 1))
    assert abs(float(rewards.mean())) < 1e-4 and float(rewards.std()) == pytest.approx(1.0, abs=1e-4)


def test_ppo_raises_the_reward_and_the_rule_score(chain):
    history = chain["ppo"].lm.history
    late = history[-4:]
    assert sum(r["reward"] for r in late) / 4 > history[0]["reward"] + 0.2
    assert sum(r["rule_score"] for r in late) / 4 > history[0]["rule_score"]
    assert all(r["kl"] >= 0 for r in history[1:]) and history[0]["kl"] == pytest.approx(0, abs=1e-4)


def test_dpo_learns_the_preference_without_a_reward_model(chain):
    history = chain["dpo"].lm.history
    assert history[-1]["train_loss"] < 0.69  # below log 2, where it starts
    assert history[-1]["rule_score"] > chain["sft"].summary["rule_score_after"]


def test_evaluation_puts_ppo_and_dpo_above_sft_at_their_kl(chain):
    rows = {row.method: row for row in chain["alignment-eval"]}
    assert rows["SFT"].kl == 0.0 and rows["SFT"].kl_std == 0.0
    assert rows["PPO"].rule_score > rows["SFT"].rule_score and rows["PPO"].kl > 0
    assert rows["DPO"].rule_score > rows["SFT"].rule_score and rows["DPO"].kl > 0
    assert rows["best-of-4"].reward >= rows["best-of-1"].reward  # the best of more samples never scores less
    assert len(rows["PPO"].per_seed) == 2 and rows["PPO"].examples


def test_artifacts_come_back_from_disk_equal(chain, store):
    fresh = JobManager(store, workers=1, device="cpu")
    ids = torch.randint(chain["sft"].tokenizer.vocab_size, (2, 40), generator=torch.Generator().manual_seed(0))
    for spec, kind in ((PPO, "ppo"), (DPO, "dpo")):
        job = fresh.lookup(spec)
        assert job.from_cache and job.result.rule == chain[kind].rule and job.result.summary == chain[kind].summary
        with torch.no_grad():
            torch.testing.assert_close(job.result.model(input_ids=ids).logits, chain[kind].model(input_ids=ids).logits)
    torch.testing.assert_close(fresh.lookup(REWARD).result.model.score(ids), chain["reward"].model.score(ids))
    assert torch.equal(fresh.lookup(PREFERENCES).result.responses, chain["preferences"].responses)


def test_beta_zero_lets_ppo_run_away_from_the_sft_model(store, chain):
    free = ppo_spec(REWARD, PPOConfig(**{**PPO_SETTINGS.as_dict(), "beta": 0.0}))
    job = JobManager(store, workers=1, device="cpu").run(free)
    assert job.state is JobState.DONE, job.error
    late = lambda tuned, key: sum(r[key] for r in tuned.lm.history[-4:]) / 4  # noqa: E731
    assert late(job.result, "kl") > 1.5 * late(chain["ppo"], "kl")
    assert late(job.result, "reward") > late(chain["ppo"], "reward") - 0.1  # the reward model is as pleased


def test_ppo_ptx_mixes_in_the_pretraining_loss(store, chain):
    mixed = ppo_spec(REWARD, PPOConfig(**{**PPO_SETTINGS.as_dict(), "ptx_coef": 1.0, "rollouts": 4}))
    job = JobManager(store, workers=1, device="cpu").run(mixed)
    assert job.state is JobState.DONE, job.error
    ptx = [record["ptx_loss"] for record in job.result.lm.history]
    assert "ptx_loss" not in chain["ppo"].lm.history[0]
    assert 1.0 < ptx[-1] < 3.5  # next-character loss on the corpus, near the base model's own


def test_lora_learns_with_few_parameters_and_merges_exactly(store, chain):
    spec = lora_spec(SFT, LoRAConfig(r=4, alpha=8))
    job = JobManager(store, workers=1, device="cpu").run(spec)
    assert job.state is JobState.DONE, job.error
    summary = job.result.summary
    assert summary["rule_score_after"] > summary["rule_score_before"]
    assert summary["lora"]["trainable_share"] < 0.05 and summary["lora"]["lora_total"] < summary["lora"]["full_total"]
    assert summary["lora"]["merge_max_abs_difference"] < 1e-4


def test_every_step_states_its_work_and_builds_on_the_step_before():
    works = {spec.kind: get_kind(spec.kind).work(spec) for spec in (SFT, PREFERENCES, REWARD, PPO, DPO, EVALUATION)}
    assert all(work.unit == "flop" and work.amount > 0 for work in works.values())
    assert works["ppo"].amount > works["preferences"].amount
    assert upstream(PPO, "lm") == BASE and upstream(DPO, "preferences") == PREFERENCES
    assert upstream(EVALUATION, "sft") == SFT


def test_ppo_and_dpo_must_share_their_sft_model_to_be_compared():
    other_sft = sft_spec(BASE, make_rule("include_word"), SFTConfig(steps=60, prompt_tokens=16, response_tokens=24))
    other = dpo_spec(preferences_spec(other_sft))
    with pytest.raises(ValueError, match="PPO and DPO must start from the same SFT model"):
        evaluation_spec(PPO, other)


@pytest.mark.gpu
def test_the_chain_trains_on_a_gpu(tmp_path):
    job = JobManager(ArtifactStore(tmp_path), workers=1, device="cuda").run(EVALUATION)
    assert job.state is JobState.DONE, job.error
    rows = {row.method: row for row in job.result}
    assert rows["PPO"].rule_score > rows["SFT"].rule_score and rows["DPO"].rule_score > rows["SFT"].rule_score
