"""The fine-tuning & alignment page's computations: the chain built from the settings (its defaults
are the default chain), what each step needs, and each tab's data on a very small chain trained
once for the module through a real job manager."""

from __future__ import annotations

import json
import math

import pytest
import torch

from core.alignment.configs import PPOConfig
from core.alignment.evaluation import best_of_n_kl
from core.alignment.jobs import default_chain, upstream
from core.alignment.rules import make_rule
from core.errors import InvalidSetting, InvalidText, UnknownName
from core.jobs import ArtifactStore, JobManager, JobState, get_kind
from core.lm.config import LMConfig
from core.lm.jobs import lm_spec
from core.memory.accounting import model_memory
from core.views import alignment as view

BASE = lm_spec(steps=20, config=LMConfig(n_layer=2, n_embd=64))  # seconds to train; characters, context 64
SMALL = {view.BASE.key: BASE.key, view.SFT_STEPS.key: 10, view.PROMPTS.key: 96, view.RM_STEPS.key: 10,
         view.ROLLOUTS.key: 2, view.DPO_STEPS.key: 10}  # every step in a few seconds
LMS = [lm_spec(), BASE]


@pytest.fixture(scope="module")
def manager(tmp_path_factory) -> JobManager:
    return JobManager(ArtifactStore(tmp_path_factory.mktemp("alignment-view")), workers=1, device="cpu")


@pytest.fixture(scope="module")
def chain(manager) -> view.Chain:
    chain = view.chain(SMALL, LMS)
    for step in ("evaluation", "lora"):
        job = manager.run(chain.specs[step], timeout=900)
        assert job.state is JobState.DONE, job.error
    return chain


def artifact(manager: JobManager, chain: view.Chain, step: str):
    return manager.lookup(chain.specs[step]).result


# ---- the chain ---------------------------------------------------------------------------------
def test_the_default_settings_are_each_languages_default_chain():
    english, chinese = default_chain("en"), default_chain("zh")
    assert view.first_models() == [lm_spec(), *english, lm_spec("chinese"), *chinese]
    opened = view.chain({}, [*LMS, lm_spec("chinese")], "zh")
    assert list(opened.specs.values()) == [lm_spec("chinese"), *chinese]
    assert opened.rule == make_rule("include_word", word="我") and view.LETTER.default_in("zh") == "的"
    assert view.chain({}, LMS, "zh").specs["base"] == lm_spec()  # no Chinese model offered: the default one
    for step, kind in zip(english, ("sft", "preferences", "reward", "ppo", "dpo", "lora", "alignment-eval")):
        assert step.kind == kind and get_kind(kind).defaults() == (step, chinese[english.index(step)])


def test_each_step_is_built_on_the_step_before():
    chain = view.chain(SMALL, LMS)
    specs = chain.specs
    assert upstream(specs["sft"], "lm") == BASE
    assert upstream(specs["reward"], "preferences") == specs["preferences"]
    assert upstream(specs["ppo"], "reward") == specs["reward"] and upstream(specs["dpo"], "sft") == specs["sft"]
    assert upstream(specs["evaluation"], "sft") == specs["sft"]
    assert specs["preferences"].settings["config"]["held_out"] == 96 // 6 and chain.k == 4
    changed = view.chain({**SMALL, view.BETA.key: 0.0}, LMS).specs
    assert changed["reward"] == specs["reward"] and changed["ppo"] != specs["ppo"]  # only what follows changes
    assert changed["ppo"].settings["config"]["beta"] == 0.0


def test_settings_are_fitted_as_their_widgets_fit_them():
    chain = view.chain({view.BASE.key: "gone", view.K.key: 12, view.BETA.key: 0.0500000001,
                        view.RULE.key: "end_with", view.CHAR.key: "!"}, LMS)
    assert chain.specs["base"] == lm_spec()  # a model not offered: the default
    assert chain.k == 9  # K beyond InstructGPT's 4..9 is brought back
    assert chain.specs["ppo"].settings["config"]["beta"] == 0.05  # rounded: one job for one value
    assert chain.rule.describe() == "end lines with '!'"


def test_rule_parameters_are_checked():
    with pytest.raises(InvalidSetting, match="letter must be a single letter"):
        view.chain({view.LETTER.key: "3"}, LMS)
    assert view.chain({view.RULE.key: "line_length", view.PREFER.key: "longer"}, LMS).rule.score("ab\ncd") == 0.4


def test_a_short_context_gets_shorter_prompts_and_responses_with_a_note():
    short = lm_spec(steps=20, config=LMConfig(n_layer=1, n_embd=32, block_size=32))
    chain = view.chain({view.BASE.key: short.key}, [short])
    config = chain.specs["sft"].settings["config"]
    assert (config["prompt_tokens"], config["response_tokens"]) == (12, 20)
    assert chain.notes[0][1] == {"block": 32, "prompt": 12, "response": 20}
    assert not view.chain({}, LMS).notes


def test_lora_targets_follow_the_architecture():
    gpt2 = lm_spec(steps=20, config=LMConfig(arch="gpt2", n_layer=1, n_embd=32))
    assert view.lora_options(gpt2) == ["c_attn", "c_fc", "c_proj"]
    assert "q_proj" in view.lora_options(lm_spec())
    chain = view.chain({view.BASE.key: gpt2.key}, [gpt2])  # the Llama default does not fit: GPT-2's own
    assert chain.specs["lora"].settings["config"]["targets"] == ["c_attn"]
    assert "No projection chosen" in chain.notes[0][0]
    dpo = view.chain({view.LORA_OF.key: "dpo", view.TARGETS.key: ["v_proj", "k_proj"]}, LMS)
    assert dpo.specs["lora"].settings["of"]["kind"] == "dpo"
    assert dpo.specs["lora"].settings["config"]["targets"] == ["k_proj", "v_proj"]  # sorted: one job per set
    assert dpo.needs("lora") == ["base", "sft", "preferences"] and view.chain({}, LMS).needs("lora") == ["base"]


def test_each_step_needs_the_steps_its_job_is_built_on():
    """What a tab says will train first is what its spec holds (the comparison once left PPO out)."""
    chain = view.chain({}, LMS)
    written = {step: json.dumps(spec.as_dict(), sort_keys=True) for step, spec in chain.specs.items()}
    for step in set(view.STEP_NAMES) - {"lora"}:  # LoRA repeats SFT's work on the base model: tested above
        inside = [other for other in view.STEP_NAMES if other != step and written[other] in written[step]]
        assert chain.needs(step) == inside, step


def test_an_unknown_base_model_is_named():
    with pytest.raises(UnknownName):
        view.base_of({view.BASE.key: "x"}, [])


def test_every_tab_links_papers_that_exist():
    steps = {paper.step for paper in view.papers("ppo")}
    assert steps == {"PPO", "GAE", "Reward model and KL-penalised RL", "Best-of-n and KL, reward hacking"}
    assert all(len(view.papers(tab)) == len(names) for tab, names in view.TAB_PAPERS.items())


def test_what_a_step_needs_and_how_long_it_takes(tmp_path):
    fresh = JobManager(ArtifactStore(tmp_path), workers=0, device="cpu")
    chain = view.chain(SMALL, LMS)
    needs = view.needs(fresh, chain, "ppo")
    assert needs.steps == ["base", "sft", "preferences", "reward"]
    assert needs.seconds == pytest.approx(sum(fresh.estimate(chain.specs[s]).seconds for s in needs.steps))
    assert [row.trained for row in view.status(fresh, chain, ["base", "evaluation"])] == [False, False]


# ---- each tab on the trained chain -------------------------------------------------------------
def test_nothing_is_missing_once_the_chain_is_trained(manager, chain):
    assert view.needs(manager, chain, "evaluation").steps == []
    assert all(row.trained and row.seconds == 0 for row in view.status(manager, chain, list(view.STEP_NAMES)))


def test_the_base_model_and_ranked_examples(manager, chain):
    lm = artifact(manager, chain, "base")
    assert view.base_model(lm).parameters == lm.model.num_parameters() and view.base_model(lm).context == 64
    groups = view.ranked_examples(lm, BASE.corpus, chain.rule, 5, chain.specs["sft"])
    assert len(groups) == view.EXAMPLE_PROMPTS and all(len(g.responses) == 5 for g in groups)
    for group in groups:
        assert group.scores == sorted(group.scores, reverse=True)  # best first
        assert group.scores == [pytest.approx(chain.rule.score(r.replace(" ↵ ", "\n"))) for r in group.responses]
    assert groups == view.ranked_examples(lm, BASE.corpus, chain.rule, 5, chain.specs["sft"])  # seeded


def test_sft_curves_start_from_the_base_model(manager, chain):
    tuned = artifact(manager, chain, "sft")
    result = view.sft_view(tuned)
    assert result.rule_score[0][0] == 0 and result.rule_score[1][0] == result.before
    assert result.rule_score[1][-1] == result.after and result.kl[1][0] == 0.0
    assert result.gain == pytest.approx(result.after - result.before)
    assert len(result.loss[0]) == 10 and result.demonstrations == 6000
    assert result.samples[0]["after_score"] == pytest.approx(tuned.rule.score(tuned.summary["samples_after"][0]))
    assert "\n" not in result.samples[0]["after"]


def test_reward_model_figures_and_examples(manager, chain):
    result, preferences = artifact(manager, chain, "reward"), artifact(manager, chain, "preferences")
    sft = artifact(manager, chain, "sft")
    shown = view.reward_view(result, preferences, sft.tokenizer)
    assert shown.pairs_trained == (96 - 16) * 6 and shown.k == 4 and shown.pairs_per_prompt == 6
    assert shown.pair_accuracy == result.summary["pair_accuracy"] and len(shown.scatter[0]) == 16 * 4
    group = preferences.telling(1)[0]
    first = preferences.sequences(torch.tensor([group]))[0]  # the first shown group's K sequences, best first
    assert shown.examples[0].rewards == pytest.approx(result.model.score(first).tolist(), abs=1e-5)
    assert all(max(g.scores) > min(g.scores) for g in shown.examples)  # groups the rule tells apart
    scored = view.score_text(result, preferences, sft.tokenizer, chain.rule, "a dog in a box", 64)
    expected = torch.cat([preferences.prompts[0], torch.tensor(sft.tokenizer.encode("a dog in a box"))])
    assert scored.reward == pytest.approx(float(result.model.score(expected[None])[0]), abs=1e-5)
    assert scored.rule_score == 1.0  # no 'e'
    with pytest.raises(InvalidText, match="not in this model's vocabulary"):
        view.score_text(result, preferences, sft.tokenizer, chain.rule, "☃", 64)
    with pytest.raises(InvalidText, match="empty"):
        view.score_text(result, preferences, sft.tokenizer, chain.rule, "  ", 64)


def test_ppo_curves_and_the_run_beside_it(manager, chain):
    tuned = artifact(manager, chain, "ppo")
    result = view.ppo_view(tuned)
    assert set(result.curves) == {"reward", "rule_score", "kl", "entropy", "surprise", "repetition"}
    assert result.curves["kl"][0.05][0] == [1, 2] and result.start["kl"] == pytest.approx(0, abs=1e-4)
    assert result.end["reward"] == pytest.approx(sum(r["reward"] for r in tuned.lm.history) / 2)
    free = view.partner(chain)
    assert free.settings["config"] == {**PPOConfig(rollouts=2).as_dict(), "beta": 0.0}
    assert view.partner(view.chain({**SMALL, view.BETA.key: 0.0}, LMS)) == chain.specs["ppo"]
    job = manager.run(free, timeout=600)
    both = view.ppo_view(tuned, job.result)
    assert set(both.curves["surprise"]) == {0.05, 0.0} and {row["beta"] for row in both.samples} == {0.05, 0.0}
    assert both.end == result.end  # the figures are the chosen run's
    assert both.change["kl"] == pytest.approx(result.end["kl"] - result.start["kl"])


def test_ptx_adds_its_curve(manager, chain):
    mixed = view.chain({**SMALL, view.PTX.key: True}, LMS).specs["ppo"]
    assert mixed.settings["config"]["ptx_coef"] == view.PTX_COEF
    result = view.ppo_view(manager.run(mixed, timeout=600).result)
    assert result.ptx and "ptx_loss" in result.curves


def test_dpo_beside_ppo_on_a_shared_axis(manager, chain):
    dpo, ppo = artifact(manager, chain, "dpo"), artifact(manager, chain, "ppo")
    alone = view.dpo_view(dpo, None)
    assert set(alone.beside["kl"]) == {"DPO"} and alone.beside["kl"]["DPO"][0] == [1.0]  # measured at the end
    both = view.dpo_view(dpo, ppo)
    assert both.beside["rule_score"]["PPO"][0] == [0.0, 0.5]  # rollout 1 samples the SFT model
    assert both.pairs == (96 - 16) * 6 and len(both.loss[1]) == 10 and alone.final == dpo.summary["final"]


def test_lora_memory_is_the_memory_pages_accounting(manager, chain):
    tuned, full = artifact(manager, chain, "lora"), artifact(manager, chain, "sft")
    result = view.lora_view(tuned, full)
    assert result.of == "sft" and result.trainable == 2 * 2 * (4 * 64 + 64 * 4)  # A and B on q and v, 2 layers
    full_memory = model_memory(result.parameters, training=True)
    assert result.memory["full"] == {"weights": full_memory.weights, "gradients": full_memory.gradients,
                                     "optimizer": full_memory.optimizer}
    assert result.memory["lora"]["optimizer"] == 12 * result.trainable
    assert result.totals_mb["lora"] < result.totals_mb["full"]
    assert result.merge_difference < 1e-4 and result.full_rule_score == full.summary["rule_score_after"]
    assert view.lora_view(tuned, None).full_rule_score is None


def test_the_comparison_puts_best_of_n_at_its_analytic_kl(manager, chain):
    result = view.comparison(artifact(manager, chain, "evaluation"))
    assert [m["method"] for m in result.methods] == ["SFT", "PPO", "DPO"]
    assert [p["n"] for p in result.best_of] == [1, 2, 4, 8, 16]
    assert all(p["kl"] == pytest.approx(best_of_n_kl(p["n"])) for p in result.best_of)
    assert result.methods[0]["kl"] == 0.0 and result.seeds == 3 and result.prompts == 64
    assert len(result.table) == 8 and result.table[-1]["method"] is None and result.table[-1]["n"] == 16
    assert not math.isnan(result.table[1]["surprise"])
