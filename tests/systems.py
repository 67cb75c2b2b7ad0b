"""What the tests of the paper's systems share: a system trained again and again on one batch."""

import math

import torch


def repeat_batch(system, batch, *, steps: int, lr: float) -> list[float]:
    """The losses of ``steps`` AdamW steps (rate ``lr``) of ``system`` on the same ``batch``, in training
    mode (eval mode again afterwards); every loss must be finite."""
    optimizer = torch.optim.AdamW(system.parameters(), lr=lr)
    system.train()
    losses = []
    for _ in range(steps):
        loss = system.loss(batch)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(float(loss.detach()))
    system.eval()
    assert all(map(math.isfinite, losses)), losses
    return losses
