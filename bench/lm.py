"""Language-model training speed and quality on Tiny Shakespeare with the page's default model.

    python -m bench.lm            # 300 steps (the default, about a minute) and 900 steps (about three)

Prints tokens per second and the validation loss (nats per character) each run reaches, on
whatever device `core.device` picks (run it on a GPU server to get GPU figures).
"""

from __future__ import annotations

from bench.common import table
from core.device import describe_device, pick_device
from core.lm import LMConfig, train_lm


def main() -> None:
    rows = []
    for steps in (300, 900):
        lm = train_lm(LMConfig(), corpus="tinyshakespeare", steps=steps, device=pick_device())
        last = lm.history[-1]
        rows.append({"steps": steps, "seconds": last["elapsed_s"], "tokens/s": last["tokens_per_s"],
                     "validation loss": last["val_loss"], "device": describe_device(pick_device())})
    print(table(rows, ["steps", "seconds", "tokens/s", "validation loss", "device"]))


if __name__ == "__main__":
    main()
