"""``python -m minigrad``: a one-minute tour — build a tiny graph, backpropagate, check it.

It prints each step's values so a reader can follow reverse mode by hand.
"""

import numpy as np

import minigrad


def main() -> None:
    print("minigrad", minigrad.__version__, "- reverse-mode autograd on NumPy\n")
    x = minigrad.tensor([1.0, -2.0, 3.0], requires_grad=True)
    w = minigrad.tensor([0.5, 0.25, -1.0], requires_grad=True)
    h = (x * w).tanh()  # a<1> = tanh(w ⊙ x)
    loss = (h * h).sum()  # L = Σ a²
    print("x    =", x)
    print("w    =", w)
    print("h    =", h)
    print("loss =", loss)
    loss.backward()
    print("\nafter loss.backward():")
    print("dL/dx =", x.grad, "  (by hand: 2 h (1 - h²) w =", 2 * h.data * (1 - h.data**2) * w.data, ")")
    print("dL/dw =", w.grad)

    xd = minigrad.Tensor(np.array([1.0, -2.0, 3.0]), requires_grad=True)
    wd = minigrad.Tensor(np.array([0.5, 0.25, -1.0]), requires_grad=True)
    ok = minigrad.gradcheck(lambda x, w: ((x * w).tanh() ** 2).sum(), (xd, wd))
    print("\ngradcheck against central finite differences (float64):", "passed" if ok else "FAILED")


if __name__ == "__main__":
    main()
