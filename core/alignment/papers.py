"""The paper each step of the chain follows, for the page to link (step, title, url)."""

from __future__ import annotations

from typing import NamedTuple

from core.i18n import N_


class Paper(NamedTuple):
    step: str  # the chain's step, as the page names it (English, N_-marked)
    title: str
    url: str


PAPERS: list[Paper] = [
    Paper(N_("The three steps (SFT, reward model, PPO)"), "Training language models to follow instructions with human "
          "feedback (Ouyang et al., 2022)", "https://arxiv.org/abs/2203.02155"),
    Paper(N_("Reward model and KL-penalised RL"), "Learning to summarize from human feedback (Stiennon et al., 2020)",
          "https://arxiv.org/abs/2009.01325"),
    Paper(N_("Reward normalisation, KL penalty"), "Fine-Tuning Language Models from Human Preferences (Ziegler et al., "
          "2019)", "https://arxiv.org/abs/1909.08593"),
    Paper(N_("PPO"), "Proximal Policy Optimization Algorithms (Schulman et al., 2017)",
          "https://arxiv.org/abs/1707.06347"),
    Paper(N_("GAE"), "High-Dimensional Continuous Control Using Generalized Advantage Estimation (Schulman et al., "
          "2016)", "https://arxiv.org/abs/1506.02438"),
    Paper(N_("DPO"), "Direct Preference Optimization: Your Language Model is Secretly a Reward Model (Rafailov et al., "
          "2023)", "https://arxiv.org/abs/2305.18290"),
    Paper(N_("LoRA"), "LoRA: Low-Rank Adaptation of Large Language Models (Hu et al., 2021)",
          "https://arxiv.org/abs/2106.09685"),
    Paper(N_("Best-of-n and KL, reward hacking"), "Scaling Laws for Reward Model Overoptimization (Gao et al., 2022)",
          "https://arxiv.org/abs/2210.10760"),
]
