"""Optimizers and learning-rate schedules, shaped like ``torch.optim``::

    from minigrad import optim

    opt = optim.Adam(params, lr=1e-3)                       # params: a list of tensors (requires_grad)
    sched = optim.lr_scheduler.StepLR(opt, step_size=10, gamma=0.5)
    for epoch in range(epochs):
        for x, y in batches:
            opt.zero_grad()
            loss_fn(x, y).backward()
            opt.step()
        sched.step()

Where things live: ``optimizer.py`` (the base class: groups, state, state_dict), one file per rule
(``sgd.py``, ``adam.py`` with AdamW, ``rmsprop.py``, ``adagrad.py``), ``lr_scheduler.py`` (the schedules).
"""

from minigrad.optim import lr_scheduler
from minigrad.optim.adagrad import Adagrad
from minigrad.optim.adam import Adam, AdamW
from minigrad.optim.optimizer import Optimizer
from minigrad.optim.rmsprop import RMSprop
from minigrad.optim.sgd import SGD

__all__ = ["SGD", "Adagrad", "Adam", "AdamW", "Optimizer", "RMSprop", "lr_scheduler"]
