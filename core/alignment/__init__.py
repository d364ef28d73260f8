"""After pre-training: SFT, a reward model, RLHF with PPO, DPO and LoRA, on the playground's tiny
models, towards a preference that a visible rule stands in for.

    from core.alignment import make_rule, train_sft, make_preferences, train_reward, train_ppo, train_dpo
    from core.alignment.jobs import ppo_spec      # or run the chain as cached jobs

The public losses (`pairwise_ranking_loss`, `dpo_loss`, `gae`, the PPO losses) and LoRA
(`add_lora`, `merge_lora`) equal TRL's and PEFT's on the same inputs (tests/core/test_alignment*.py).
`PAPERS` lists the paper each step follows.
"""

from core.alignment.configs import (DPOConfig, EvalConfig, LoRAConfig, PPOConfig, PreferenceConfig, RewardConfig,
                                    SFTConfig)
from core.alignment.data import Preferences, Windows, demonstrations, make_preferences
from core.alignment.dpo import train_dpo
from core.alignment.evaluation import EvaluationRow, best_of_n, best_of_n_kl, evaluate, measure
from core.alignment.lora import add_lora, footprint, merge_lora
from core.alignment.losses import dpo_loss, gae, pairwise_ranking_loss, ppo_policy_loss, ppo_value_loss
from core.alignment.papers import PAPERS, Paper
from core.alignment.ppo import train_ppo
from core.alignment.reward import RewardModel, RewardResult, train_reward
from core.alignment.rules import RULES, Rule, make_rule
from core.alignment.sft import train_sft
from core.alignment.tuned import TunedLM

__all__ = [
    "DPOConfig", "EvalConfig", "EvaluationRow", "LoRAConfig", "PAPERS", "PPOConfig", "Paper", "PreferenceConfig",
    "Preferences", "RULES", "RewardConfig", "RewardModel", "RewardResult", "Rule", "SFTConfig", "TunedLM", "Windows",
    "add_lora", "best_of_n", "best_of_n_kl", "demonstrations", "dpo_loss", "evaluate", "footprint", "gae",
    "make_preferences", "make_rule", "measure", "merge_lora", "pairwise_ranking_loss", "ppo_policy_loss",
    "ppo_value_loss", "train_dpo", "train_ppo", "train_reward", "train_sft",
]
