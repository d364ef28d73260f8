"""The MLP nonlinearities, as curves with their derivatives (computed by autograd, not by hand).

A gated unit act(x W_gate) * (x W_up) takes two inputs; drawn in one dimension it is shown with
both equal, act(x) * x, which is how SwiGLU and GeGLU are usually plotted.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from core.i18n import N_

FUNCTIONS = {  # English names, N_-marked: translated where shown
    N_("ReLU"): F.relu,
    N_("GELU"): F.gelu,
    N_("Swish (SiLU)"): F.silu,
    N_("SwiGLU (gate = value)"): lambda x: F.silu(x) * x,
    N_("GeGLU (gate = value)"): lambda x: F.gelu(x) * x,
}


def activation_curves(x: torch.Tensor) -> dict[str, tuple[torch.Tensor, torch.Tensor]]:
    """name -> (f(x), f'(x)) on the points x."""
    curves = {}
    for name, function in FUNCTIONS.items():
        point = x.detach().clone().double().requires_grad_(True)
        value = function(point)
        (slope,) = torch.autograd.grad(value.sum(), point)
        curves[name] = (value.detach(), slope)
    return curves
