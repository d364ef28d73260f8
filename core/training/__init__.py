"""The one training loop every gradient-trained model of the playground uses.

    from core.training import Schedule, fit
    history = fit(model, lambda step: loss_of(batch(step)), steps=300, schedule=Schedule(), device=device)
"""

from core.training.loop import Schedule, Trainer, fit, learning_rate

__all__ = ["Schedule", "Trainer", "fit", "learning_rate"]
