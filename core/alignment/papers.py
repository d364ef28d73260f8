"""The paper each step of the chain follows, for the page to link (step, title, url)."""

from __future__ import annotations

from typing import NamedTuple


class Paper(NamedTuple):
    step: str  # the chain's step, as the page names it
    title: str
    url: str


PAPERS: list[Paper] = [
    Paper("The three steps (SFT, reward model, PPO)", "Training language models to follow instructions with human "
          "feedback (Ouyang et al., 2022)", "https://arxiv.org/abs/2203.02155"),
    Paper("Reward model and KL-penalised RL", "Learning to summarize from human feedback (Stiennon et al., 2020)",
          "https://arxiv.org/abs/2009.01325"),
    Paper("Reward normalisation, KL penalty", "Fine-Tuning Language Models from Human Preferences (Ziegler et al., "
          "2019)", "https://arxiv.org/abs/1909.08593"),
    Paper("PPO", "Proximal Policy Optimization Algorithms (Schulman et al., 2017)", "https://arxiv.org/abs/1707.06347"),
    Paper("GAE", "High-Dimensional Continuous Control Using Generalized Advantage Estimation (Schulman et al., 2016)",
          "https://arxiv.org/abs/1506.02438"),
    Paper("DPO", "Direct Preference Optimization: Your Language Model is Secretly a Reward Model (Rafailov et al., "
          "2023)", "https://arxiv.org/abs/2305.18290"),
    Paper("LoRA", "LoRA: Low-Rank Adaptation of Large Language Models (Hu et al., 2021)",
          "https://arxiv.org/abs/2106.09685"),
    Paper("Best-of-n and KL, reward hacking", "Scaling Laws for Reward Model Overoptimization (Gao et al., 2022)",
          "https://arxiv.org/abs/2210.10760"),
]
