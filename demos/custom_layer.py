"""Write your own recurrent cell, prove its gradients, drop it into a model and train it.

The cell: an LSTM with peephole connections (Gers & Schmidhuber 2000), where the gates also look at
the memory cell c through a diagonal weight (one number per unit):

    Γu   = σ(W_ii x<t> + W_hi a<t-1> + p_i ⊙ c<t-1> + b_i)
    Γf   = σ(W_if x<t> + W_hf a<t-1> + p_f ⊙ c<t-1> + b_f)
    c̃<t> = tanh(W_ig x<t> + W_hg a<t-1> + b_g)
    c<t> = Γf ⊙ c<t-1> + Γu ⊙ c̃<t>
    Γo   = σ(W_io x<t> + W_ho a<t-1> + p_o ⊙ c<t> + b_o)
    a<t> = Γo ⊙ tanh(c<t>)

Three steps, the third use of the project after learning autograd and training seq's layers:

1. Write it as a ``minigrad.nn.Module`` from minigrad ops: autograd derives its backward.
2. Prove the gradients: hypothesis draws sizes and values, ``minigrad.testing.assert_gradients_match``
   compares autograd with central finite differences in float64, for the input, both states and every
   parameter. (Had you written a ``Function`` with a hand-made backward, this is the check that catches
   a wrong derivative.)
3. Loop it over time in a classifier and train it: the class of a sequence is the sign of its first
   step, so the cell must carry one bit across the whole sequence (its forget gate starts open, as the
   ``vanishing`` demo shows it must; fresh sequences at every step, so it cannot memorise them).

Run: ``python -m demos custom_layer [--quick] [--seed S] [--out DIR] [--examples N]``.
"""

from __future__ import annotations

import math

import numpy as np

import minigrad
from demos.common import output_dir, parser, positive_int, progress, pyplot, save_metrics
from minigrad import Tensor, nn, optim

NAME = "custom_layer"


class PeepholeLSTMCell(nn.Module):
    """An LSTM cell with peephole connections; the layout of ``seq.LSTMCell`` plus ``peephole`` (3, H)."""

    def __init__(self, input_size: int, hidden_size: int, forget_bias: float = 0.0, dtype: object = None) -> None:
        super().__init__()
        self.hidden_size = hidden_size
        dtype = minigrad.get_default_dtype() if dtype is None else dtype
        self.weight_ih = nn.Parameter(np.empty((4 * hidden_size, input_size), dtype=dtype))
        self.weight_hh = nn.Parameter(np.empty((4 * hidden_size, hidden_size), dtype=dtype))
        self.bias = nn.Parameter(np.empty(4 * hidden_size, dtype=dtype))
        self.peephole = nn.Parameter(np.empty((3, hidden_size), dtype=dtype))  # p_i, p_f, p_o
        bound = 1 / math.sqrt(hidden_size)
        for p in self.parameters():
            nn.init.uniform_(p, -bound, bound)
        with minigrad.no_grad():  # forget_bias > 0 starts the forget gate open, so c<t> lasts across steps
            self.bias[hidden_size : 2 * hidden_size] = forget_bias

    def forward(self, x: Tensor, state: tuple[Tensor, Tensor]) -> tuple[Tensor, Tensor]:
        a, c = state
        gates = x @ self.weight_ih.T + a @ self.weight_hh.T + self.bias  # (B, 4H)
        i, f, g, o = gates.chunk(4, dim=-1)  # 4 x (B, H)
        p_i, p_f, p_o = self.peephole[0], self.peephole[1], self.peephole[2]
        gamma_u = (i + p_i * c).sigmoid()
        gamma_f = (f + p_f * c).sigmoid()
        c_next = gamma_f * c + gamma_u * g.tanh()
        gamma_o = (o + p_o * c_next).sigmoid()
        return gamma_o * c_next.tanh(), c_next


def check_gradients(examples: int, seed: int) -> int:
    """Step 2: hypothesis-drawn cases, each checked against finite differences. Returns how many ran."""
    from hypothesis import given, settings
    from hypothesis import strategies as st

    from minigrad.testing import arrays, assert_gradients_match

    ran = []

    @settings(max_examples=examples, deadline=None, derandomize=True, database=None)
    @given(st.integers(1, 3), st.integers(1, 4), st.integers(1, 4), st.data())
    def check(B, D, H, data):
        minigrad.manual_seed(seed)
        cell = PeepholeLSTMCell(D, H, dtype=np.float64)
        x, a, c = (Tensor(data.draw(arrays(shape)), requires_grad=True) for shape in ((B, D), (B, H), (B, H)))
        assert_gradients_match(lambda x, a, c, *params: cell(x, (a, c)), x, a, c, *cell.parameters())
        ran.append(1)

    check()
    return len(ran)


class FirstStepClassifier(nn.Module):
    """Step 3: the cell looped over time, a linear read-out of the last a<t>."""

    def __init__(self, hidden_size: int) -> None:
        super().__init__()
        self.cell = PeepholeLSTMCell(1, hidden_size, forget_bias=3.0)  # see the vanishing demo
        self.head = nn.Linear(hidden_size, 2)

    def forward(self, x: Tensor) -> Tensor:
        B = x.shape[1]
        a = c = minigrad.zeros(B, self.cell.hidden_size)
        for t in range(x.shape[0]):
            a, c = self.cell(x[t], (a, c))
        return self.head(a)  # (B, 2) logits


def main(argv: list[str] | None = None) -> dict:
    p = parser(NAME, __doc__.split("\n\n")[0])
    p.add_argument(
        "--examples",
        type=positive_int,
        default=None,
        help="hypothesis cases for the gradient check (default 50, quick 10)",
    )
    args = p.parse_args(argv)
    out = output_dir(NAME, args.out)
    T, steps, examples = (10, 80, 10) if args.quick else (25, 200, 50)
    examples = args.examples or examples

    checked = check_gradients(examples, args.seed)
    print(f"step 2: gradients match finite differences on {checked} hypothesis-drawn cases")

    minigrad.manual_seed(args.seed)
    rng = np.random.default_rng(args.seed)
    model = FirstStepClassifier(32)
    opt = optim.Adam(model.parameters(), lr=0.01)
    losses = []
    for _ in progress(range(steps), desc="training", quiet=args.quick):
        x = rng.standard_normal((T, 64, 1)).astype(np.float32)
        y = (x[0, :, 0] > 0).astype(np.int64)  # the class is the sign of the first step
        loss = nn.functional.cross_entropy(model(minigrad.tensor(x)), minigrad.tensor(y))
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(loss.item())
    x = rng.standard_normal((T, 512, 1)).astype(np.float32)
    labels = x[0, :, 0] > 0
    with minigrad.no_grad():
        accuracy = float((model(minigrad.tensor(x)).argmax(axis=1).data == labels).mean())
    majority = float(max(labels.mean(), 1 - labels.mean()))  # chance, measured: always the more frequent class
    print(
        f"step 3: after {steps} steps, loss {np.mean(losses[:5]):.3f} -> {np.mean(losses[-5:]):.3f}, "
        f"accuracy on 512 new sequences {accuracy:.3f} (always the more frequent class: {majority:.3f})"
    )

    plt = pyplot()
    fig, ax = plt.subplots(figsize=(6, 4))
    ax.plot(losses)
    ax.set(xlabel="Adam step", ylabel="cross-entropy", title=f"peephole LSTM remembering step 1 of {T}")
    fig.tight_layout()
    fig.savefig(out / "loss.png", dpi=110)
    plt.close(fig)
    metrics = {
        "gradient_checks_passed": checked,
        "initial_loss": float(np.mean(losses[:5])),
        "final_loss": float(np.mean(losses[-5:])),
        "accuracy": accuracy,
        "majority_accuracy": majority,
        "T": T,
    }
    save_metrics(out, metrics)
    return metrics


if __name__ == "__main__":
    main()
