"""The unrolled graph of a 3-step RNN, and its per-step gradients by hand and by autograd.

The course draws an RNN unrolled in time: one copy of the cell per step, the same Wax, Waa, Wya
shared by all. This demo records that picture from autograd itself: a ``seq.RNNCell`` looped over
T = 3 steps with a softmax read-out and the course's cross-entropy L = -Σ_t Σ_i log ŷ<t>[y<t>], drawn
with ``minigrad.viz.to_dot(loss, group=[a<1>, a<2>, a<3>])`` so each step sits in its own box and the
shared weights stay outside. ``unrolled.dot`` is always written; with the ``graphviz`` package and its
``dot`` program, ``minigrad.viz.render`` also draws ``unrolled.svg`` and ``unrolled.png``.

Then the gradient of L with respect to each hidden state, two ways:

- by hand, with the course's ``rnn_cell_backward`` walked back from t = T: the total gradient reaching
  a<t> is the direct part (through ŷ<t>: Wyaᵀ (ŷ<t> - y<t>)) plus what comes back from a<t+1>;
- by autograd: ``retain_grad()`` on each a<t>, one ``loss.backward()``.

They agree to rounding (float64), and so do the weight gradients of ``rnn_backward``.

Run: ``python -m demos unrolled [--quick] [--seed S] [--out DIR]``.
"""

from __future__ import annotations

import numpy as np

import seq
from demos.common import output_dir, parser, save_metrics
from minigrad import Tensor, nn
from minigrad.viz import render, to_dot
from seq import reference

NAME = "unrolled"
T_X = 3


def course_problem(seed: int, n_x: int = 3, n_a: int = 4, n_y: int = 3, m: int = 2) -> tuple:
    """Random parameters in the course's shapes, inputs x (n_x, m, T_x), a<0> and labels y (m, T_x)."""
    rng = np.random.default_rng(seed)
    parameters = {
        "Wax": rng.normal(0, 0.7, (n_a, n_x)),  # weight_ih
        "Waa": rng.normal(0, 0.7, (n_a, n_a)),  # weight_hh
        "ba": rng.normal(0, 0.3, (n_a, 1)),  # bias_ih (bias_hh = 0)
        "Wya": rng.normal(0, 0.7, (n_y, n_a)),  # the read-out Linear's weight
        "by": rng.normal(0, 0.3, (n_y, 1)),  # and its bias
    }
    x = rng.normal(size=(n_x, m, T_X))
    a0 = rng.normal(0, 0.5, (n_a, m))
    labels = rng.integers(0, n_y, size=(m, T_X))
    return parameters, x, a0, labels


def by_hand(parameters: dict, x: np.ndarray, a0: np.ndarray, labels: np.ndarray) -> tuple:
    """The course's forward and backward: loss, total dL/da<t> per step (n_a, m, T_x), and rnn_backward's grads."""
    a, y_pred, caches = reference.rnn_forward(x, a0, parameters)
    m = x.shape[1]
    onehot = np.zeros_like(y_pred)  # (n_y, m, T_x)
    for t in range(T_X):
        onehot[labels[:, t], np.arange(m), t] = 1.0
    loss = -float(np.sum(onehot * np.log(y_pred)))
    dz_y = y_pred - onehot  # d(-log softmax(z)[y])/dz = ŷ - y, per step
    da_direct = np.einsum("ya,ymt->amt", parameters["Wya"], dz_y)  # Wyaᵀ dz_y<t> for every t: (n_a, m, T_x)

    # the walk back of rnn_backward, written out to keep the total gradient reaching each a<t>
    da_total = np.zeros_like(a)
    da_prevt = np.zeros_like(a0)
    for t in reversed(range(T_X)):
        da_total[:, :, t] = da_direct[:, :, t] + da_prevt  # direct (through ŷ<t>) + through a<t+1>
        da_prevt = reference.rnn_cell_backward(da_total[:, :, t], caches[0][t])["da_prev"]
    gradients = reference.rnn_backward(da_direct, caches)
    gradients["dWya"] = np.einsum("ymt,amt->ya", dz_y, a)  # Σ_t dz_y<t> a<t>ᵀ
    return loss, da_total, gradients


def by_autograd(parameters: dict, x: np.ndarray, a0: np.ndarray, labels: np.ndarray) -> tuple:
    """seq.RNNCell looped over the steps, retain_grad on each a<t>.

    Returns:
        ``loss``, ``steps`` (per step the tensors it produced, ``(a<t>, L<t>)``: what ``to_dot(group=)``
        boxes), the cell, the read-out, and ``names`` ({label: tensor}) for the picture.
    """
    n_a, n_x = parameters["Wax"].shape
    n_y = parameters["Wya"].shape[0]
    cell = reference.load_into(seq.RNNCell(n_x, n_a, dtype=np.float64), reference.rnn_to_seq(parameters))
    head = nn.Linear(n_a, n_y, dtype=np.float64)
    head.load_state_dict(reference.readout_to_seq(parameters))
    xs = [Tensor(x[:, :, t].T.copy(), requires_grad=True) for t in range(T_X)]  # x<t>: (n_x, m) -> (B, D)
    a = Tensor(a0.T.copy(), requires_grad=True)  # a<0>: (n_a, m) -> (B, H)
    names = {"a<0>": a}
    steps, loss = [], None
    for t in range(T_X):
        a = cell(xs[t], a)
        a.retain_grad()  # keep the total dL/da<t> after backward
        step_loss = nn.functional.cross_entropy(head(a), labels[:, t], reduction="sum")  # L<t> = -Σ_i log ŷ<t>[y]
        steps.append((a, step_loss))
        names.update({f"a<{t + 1}>": a, f"L<{t + 1}>": step_loss})
        loss = step_loss if loss is None else loss + step_loss  # L = Σ_t L<t>
    loss.backward()
    names.update(
        {
            "Wax = weight_ih": cell.weight_ih,
            "Waa = weight_hh": cell.weight_hh,
            "ba = bias_ih": cell.bias_ih,
            "bias_hh = 0": cell.bias_hh,
            "Wya = head.weight": head.weight,
            "by = head.bias": head.bias,
            "L": loss,
        }
    )
    names.update({f"x<{t + 1}>": xs[t] for t in range(T_X)})
    return loss, steps, cell, head, names


def main(argv: list[str] | None = None) -> dict:
    p = parser(NAME, __doc__.split("\n\n")[0])
    args = p.parse_args(argv)  # --quick changes nothing: the demo is 3 steps already
    out = output_dir(NAME, args.out)
    parameters, x, a0, labels = course_problem(args.seed)

    loss_hand, da_total, gradients = by_hand(parameters, x, a0, labels)
    loss, steps, cell, head, names = by_autograd(parameters, x, a0, labels)
    states = [a for a, _ in steps]

    # the picture: one box per step (a<t>, ŷ<t>, L<t>); the weights all steps share stay outside
    dot = to_dot(loss, show_grad=True, group=steps, names=names)
    dot_path = out / "unrolled.dot"
    dot_path.write_text(dot)
    pictures = [dot_path.name]
    # an image when the graphviz package and its dot program are there; else render says how to draw the .dot
    written = render(loss, out / "unrolled.svg", show_grad=True, group=steps, names=names)
    if written.suffix == ".svg":
        pictures.append(written.name)
        pictures.append(render(loss, out / "unrolled.png", show_grad=True, group=steps, names=names).name)

    # dL/da<t>, both ways
    per_step = []
    print(f"loss: by hand {loss_hand:.12f}, by autograd {loss.item():.12f}")
    print("dL/da<t> (total, through every later step): max |by hand - autograd| per step")
    for t, a in enumerate(states):
        diff = float(np.max(np.abs(da_total[:, :, t] - a.grad.T)))  # autograd's (B, H) -> (n_a, m)
        per_step.append(diff)
        print(f"  t={t + 1}: |dL/da<{t + 1}>| = {np.linalg.norm(a.grad):.6f}   max difference {diff:.2e}")
    weight_diffs = {
        "dWax": float(np.max(np.abs(gradients["dWax"] - cell.weight_ih.grad))),
        "dWaa": float(np.max(np.abs(gradients["dWaa"] - cell.weight_hh.grad))),
        "dba": float(np.max(np.abs(gradients["dba"].ravel() - cell.bias_ih.grad))),
        "dWya": float(np.max(np.abs(gradients["dWya"] - head.weight.grad))),
    }
    print(
        "rnn_backward's weight gradients against autograd's: "
        + ", ".join(f"{k} {v:.2e}" for k, v in weight_diffs.items())
    )
    print(f"wrote {', '.join(str(out / name) for name in pictures)} and {out / 'metrics.json'}")

    # metrics.json rounds to 6 decimals, so the differences are saved in units of float64's machine epsilon
    eps = float(np.finfo(np.float64).eps)  # 2.2e-16
    metrics = {
        "T": T_X,
        "loss_difference_in_eps": abs(loss_hand - loss.item()) / eps,
        "da_max_difference_per_step_in_eps": [d / eps for d in per_step],
        "da_max_difference_in_eps": max(per_step) / eps,
        "weight_gradient_max_difference_in_eps": {k: v / eps for k, v in weight_diffs.items()},
        "clusters": dot.count("subgraph cluster_"),
        "pictures": pictures,
    }
    save_metrics(out, metrics)
    return metrics


if __name__ == "__main__":
    main()
