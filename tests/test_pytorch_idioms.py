"""PyTorch idioms run unchanged under PyTorch and under minigrad, with the same results.

Each idiom is PyTorch code as a source string that leaves its answer in ``result``. It runs twice: with
``torch`` bound to the torch module, and with ``torch`` bound to minigrad. The names it may use:

    torch   torch / minigrad
    nn      torch.nn / minigrad.nn, except nn.LSTM and nn.RNN -> seq.LSTM and seq.RNN (minigrad.nn has no
            recurrent layers: seq provides them with PyTorch's constructor, call and outputs)
    F       torch.nn.functional / minigrad.nn.functional
    np      numpy
    grad    grad(t) is t.grad as a NumPy array (PyTorch's .grad is a tensor, minigrad's a NumPy array)

The two results must agree: tensors in values (float32 to 1e-6), shape and dtype; tuples element by
element, named tuples (``torch.return_types.max``) by their type name too; dtypes and devices by name.
An idiom given ``raises`` must raise that type under both. The whole file is skipped without PyTorch.
"""

from __future__ import annotations

import textwrap
import types
from dataclasses import dataclass

import numpy as np
import pytest
from conftest import torch_or_skip

import minigrad
import seq


@dataclass(frozen=True)
class Idiom:
    name: str
    code: str
    raises: type | None = None


IDIOMS = [
    # --- the shape of a tensor -----------------------------------------------------------------
    Idiom("size(0)", "x = torch.ones(4, 3)\nresult = x.size(0)"),
    Idiom("size()", "x = torch.ones(4, 3)\nresult = x.size()"),
    Idiom("size(-1) and shape[1:]", "x = torch.ones(2, 3, 4)\nresult = (x.size(-1), x.shape[1:], x.size(dim=1))"),
    Idiom("dim and numel", "x = torch.ones(2, 3, 4)\nresult = (x.dim(), x.numel(), x.ndim, len(x))"),
    Idiom("size(d) out of range", "result = torch.ones(2, 3).size(2)", raises=IndexError),
    # --- devices -------------------------------------------------------------------------------
    Idiom("to('cpu')", "x = torch.tensor([1.0, 2.0])\nresult = x.to('cpu')"),
    Idiom(
        "model.to(device)",
        "device = torch.device('cuda' if torch.cuda.is_available() else 'cpu')\n"
        "model = nn.Linear(3, 2).to(device)\n"
        "result = (str(device), model.weight.shape, str(model.weight.device))",
    ),
    Idiom("x.device", "x = torch.zeros(2, device='cpu')\nresult = (str(x.device), x.device.type, x.device)"),
    Idiom("cpu().numpy()", "x = torch.tensor([[1.5, 2.0]])\nresult = x.cpu().numpy()"),
    Idiom("detach().numpy()", "x = torch.tensor([1.0, 2.0], requires_grad=True)\nresult = (x * 2).detach().numpy()"),
    Idiom("to(device, dtype)", "x = torch.tensor([1.7, -1.2])\nresult = x.to('cpu', torch.float64)"),
    # --- dtypes ----------------------------------------------------------------------------------
    Idiom("long()", "x = torch.tensor([1.7, -1.7])\nresult = x.long()"),
    Idiom("dtype=torch.long", "result = torch.zeros(2, 3, dtype=torch.long)"),
    Idiom("tensor(..., dtype=torch.long)", "result = torch.tensor([[1, 2], [3, 4]], dtype=torch.long)"),
    Idiom(
        "int() float() double() bool()",
        "x = torch.tensor([0.0, 1.6])\nresult = (x.int(), x.double(), x.bool(), x.int().float())",
    ),
    Idiom("to(dtype)", "x = torch.tensor([1, 2])\nresult = (x.to(torch.float32), x.to(dtype=torch.float64))"),
    Idiom("to(other)", "x = torch.tensor([1.5])\ny = torch.tensor([1], dtype=torch.int64)\nresult = x.to(y)"),
    Idiom("type_as", "x = torch.tensor([1, 2])\ny = torch.ones(1, dtype=torch.float64)\nresult = x.type_as(y)"),
    Idiom("dtype names", "result = (torch.float, torch.double, torch.long, torch.int, torch.bool, torch.float32)"),
    Idiom(
        "dtype comparison",
        "x = torch.ones(2, dtype=torch.float64)\nresult = (x.dtype == torch.float64, x.dtype is torch.double)",
    ),
    Idiom("arange(dtype=torch.float)", "result = torch.arange(5, dtype=torch.float)"),
    Idiom("ones_like(dtype=)", "result = torch.ones_like(torch.zeros(2, 2), dtype=torch.long)"),
    Idiom("int / int is float", "result = torch.tensor([3, 4]) / 2"),
    Idiom("int * float is float32", "result = torch.tensor([3, 4]) * 0.5"),
    Idiom(
        "accuracy",
        "pred = torch.tensor([1, 0, 2, 2])\n"
        "y = torch.tensor([1, 1, 2, 0])\n"
        "result = ((pred == y).float().mean().item(), (pred == y).sum().item())",
    ),
    Idiom("is_floating_point", "result = (torch.ones(1).is_floating_point(), torch.tensor([1]).is_floating_point())"),
    # --- making tensors like others --------------------------------------------------------------
    Idiom("new_zeros", "w = torch.ones(3, 4, dtype=torch.float64)\nresult = w.new_zeros(2, 5, 4)"),
    Idiom("new_zeros((L, B, H))", "w = torch.ones(3)\nresult = w.new_zeros((1, 2, 3))"),
    Idiom(
        "new_ones new_full new_empty",
        "w = torch.ones(3, dtype=torch.float64)\n"
        "result = (w.new_ones(2), w.new_full((2,), 7), w.new_empty(2, 3).shape)",
    ),
    Idiom("new_tensor", "w = torch.ones(3)\nresult = (w.new_tensor([1, 2]), w.new_tensor([1, 2], dtype=torch.long))"),
    # --- reshaping ---------------------------------------------------------------------------------
    Idiom("t()", "x = torch.tensor([[1.0, 2.0, 3.0]])\nresult = x.t()"),
    Idiom("t() of a vector", "result = torch.tensor([1.0, 2.0]).t()"),
    Idiom(
        "contiguous",
        "x = torch.arange(6).view(2, 3).t()\ny = x.contiguous()\nresult = (y, y.is_contiguous(), y.view(-1))",
    ),
    Idiom("view(-1)", "x = torch.arange(6)\nresult = (x.view(2, -1), x.view(-1, 3).shape, x.view(6))"),
    Idiom(
        "permute contiguous view",
        "x = torch.arange(24).view(2, 3, 4)\nresult = x.permute(1, 0, 2).contiguous().view(3, -1)",
    ),
    Idiom("transpose(0, 1)", "x = torch.arange(6).view(1, 2, 3)\nresult = x.transpose(0, 1).shape"),
    Idiom("unsqueeze expand", "x = torch.tensor([1.0, 2.0])\nresult = x.unsqueeze(0).expand(3, -1)"),
    Idiom(
        "expand_as view_as",
        "x = torch.ones(1, 3)\ny = torch.zeros(2, 3)\nresult = (x.expand_as(y), torch.arange(6).view_as(y))",
    ),
    Idiom("flatten(1)", "result = torch.ones(2, 3, 4).flatten(1).shape"),
    Idiom("squeeze(-1)", "result = torch.ones(2, 1).squeeze(-1)"),
    Idiom("repeat", "x = torch.tensor([[1, 2], [3, 4]])\nresult = (x.repeat(2, 1), x.repeat(1, 2, 3).shape)"),
    Idiom(
        "repeat_interleave",
        "x = torch.tensor([[1, 2], [3, 4]])\n"
        "result = (x.repeat_interleave(2), x.repeat_interleave(2, dim=0), "
        "x.repeat_interleave(torch.tensor([1, 2]), dim=1))",
    ),
    Idiom("chunk and split", "x = torch.arange(10).view(2, 5)\nresult = (x.chunk(2, dim=1), x.split([1, 4], dim=1))"),
    Idiom(
        "cat and stack",
        "a = torch.ones(2, 2)\n"
        "b = torch.zeros(2, 3)\n"
        "result = (torch.cat([a, b], dim=1), torch.stack([a, a], dim=0).shape)",
    ),
    Idiom("transpose out of range", "result = torch.ones(2, 3).transpose(0, 2)", raises=IndexError),
    Idiom("view with a float", "result = torch.ones(2, 3).view(3.0, 2)", raises=TypeError),
    # --- reductions and ordering -------------------------------------------------------------------
    Idiom(
        "values, indices = x.max(dim=1)",
        "x = torch.tensor([[1.0, 5.0, 2.0], [4.0, 0.0, 4.0]])\n"
        "values, indices = x.max(dim=1)\n"
        "result = (values, indices)",
    ),
    Idiom("torch.max(x, 1)", "x = torch.tensor([[1.0, 5.0, 2.0], [4.0, 0.0, 4.0]])\nresult = torch.max(x, 1)"),
    Idiom("max(1, keepdim=True)", "x = torch.tensor([[1.0, 5.0], [4.0, 0.0]])\nresult = x.max(1, keepdim=True)"),
    Idiom(
        "max()[0] and .indices",
        "x = torch.tensor([[1.0, 5.0], [4.0, 0.0]])\nresult = (x.max(0)[0], x.min(dim=0).indices, x.max())",
    ),
    Idiom(
        "max of two tensors",
        "a = torch.tensor([1.0, 5.0])\nb = torch.tensor([3.0, 2.0])\nresult = (torch.max(a, b), a.min(b))",
    ),
    Idiom("amax over dims", "x = torch.arange(24.0).view(2, 3, 4)\nresult = (x.amax(dim=(0, 2)), x.amin(1))"),
    Idiom(
        "argmax(dim=-1)",
        "logits = torch.tensor([[0.1, 2.0, -1.0], [3.0, 0.0, 1.0]])\n"
        "result = (logits.argmax(dim=-1), logits.argmax(), logits.argmin(1, keepdim=True))",
    ),
    Idiom(
        "topk", "x = torch.tensor([[3.0, 1.0, 2.0, 5.0]])\nresult = (torch.topk(x, 2), x.topk(2, dim=1, largest=False))"
    ),
    Idiom("sort", "x = torch.tensor([3.0, 1.0, 2.0])\nresult = (x.sort(), x.sort(descending=True), torch.sort(x, 0))"),
    Idiom("argsort", "x = torch.tensor([3.0, 1.0, 2.0])\nresult = (x.argsort(), x.argsort(descending=True))"),
    Idiom(
        "median",
        "x = torch.tensor([[3.0, 1.0, 2.0, 4.0], [0.0, 9.0, 8.0, 7.0]])\nresult = (x.median(), x.median(dim=1))",
    ),
    Idiom(
        "sum mean keepdim",
        "x = torch.arange(6.0).view(2, 3)\n"
        "result = (x.sum(dim=1, keepdim=True), x.mean(dim=(0, 1)), x.sum(dtype=torch.float64))",
    ),
    Idiom(
        "std var",
        "x = torch.tensor([[1.0, 2.0, 4.0], [0.0, 1.0, 1.0]])\nresult = (x.std(dim=0), x.var(unbiased=False))",
    ),
    # --- elementwise -------------------------------------------------------------------------------
    Idiom(
        "masked_fill",
        "scores = torch.tensor([[1.0, 2.0], [3.0, 4.0]])\n"
        "mask = torch.tensor([[1, 0], [1, 1]])\n"
        "result = scores.masked_fill(mask == 0, float('-inf')).softmax(dim=-1)",
    ),
    Idiom(
        "masked_fill_",
        "x = torch.zeros(2, 2)\nx.masked_fill_(torch.tensor([[True, False], [False, True]]), 1.0)\nresult = x",
    ),
    Idiom(
        "clamp clamp_min clamp_max",
        "x = torch.tensor([-2.0, 0.5, 3.0])\n"
        "result = (x.clamp(min=0), x.clamp_min(0.0), x.clamp_max(1.0), torch.clamp(x, -1, 1))",
    ),
    Idiom("where", "x = torch.tensor([-1.0, 2.0])\nresult = torch.where(x > 0, x, torch.zeros_like(x))"),
    Idiom(
        "integer // and %",
        "i = torch.arange(7)\nresult = (i // 3, i % 3, i[i % 2 == 0])",
    ),
    Idiom(
        "gather",
        "x = torch.tensor([[1.0, 2.0], [3.0, 4.0]])\nidx = torch.tensor([[0, 0], [1, 0]])\nresult = x.gather(1, idx)",
    ),
    Idiom("index_select", "x = torch.arange(6).view(3, 2)\nresult = x.index_select(0, torch.tensor([2, 0]))"),
    Idiom("boolean indexing", "x = torch.tensor([1.0, -2.0, 3.0])\nresult = (x[x > 0], x[torch.tensor([2, 0])])"),
    Idiom("f-string of a loss", "loss = torch.tensor(0.123456)\nresult = (f'{loss:.4f}', loss.item(), float(loss))"),
    Idiom("in", "result = (3 in torch.tensor([1, 3]), 4 in torch.tensor([1, 3]))"),
    Idiom("is_tensor", "result = (torch.is_tensor(torch.ones(1)), torch.is_tensor([1.0]))"),
    # --- sampling ----------------------------------------------------------------------------------
    Idiom(
        "multinomial(probs, 1)",
        "probs = torch.tensor([[0.0, 1.0, 0.0], [0.0, 0.0, 2.0]])\nresult = torch.multinomial(probs, 1)",
    ),
    Idiom(
        "multinomial method, replacement",
        "p = torch.tensor([0.0, 0.0, 1.0])\nresult = p.multinomial(num_samples=4, replacement=True)",
    ),
    Idiom(
        "multinomial without replacement",
        "torch.manual_seed(0)\np = torch.tensor([1.0, 1.0, 0.0, 1.0])\nd = torch.multinomial(p, 3)\n"
        "result = (sorted(d.tolist()), d.dtype, d.shape)",
    ),
    Idiom(
        "seeded randn",
        "torch.manual_seed(0)\na = torch.randn(2, 3)\ntorch.manual_seed(0)\nb = torch.randn(2, 3)\n"
        "result = (bool((a == b).all()), a.shape, a.dtype)",
    ),
    Idiom("randint", "result = (torch.randint(0, 10, (3,)).shape, torch.randint(5, (2, 2)).dtype)"),
    # --- autograd ----------------------------------------------------------------------------------
    Idiom(
        "backward and .grad",
        "x = torch.tensor([1.0, 2.0], requires_grad=True)\n"
        "y = (x ** 2).sum()\n"
        "y.backward()\n"
        "result = (grad(x), y.item())",
    ),
    Idiom(
        "gradient through max(dim) values",
        "x = torch.tensor([[1.0, 5.0, 5.0]], requires_grad=True)\n"
        "x.max(dim=1).values.sum().backward()\n"
        "result = grad(x)",
    ),
    Idiom(
        "gradient through masked_fill and repeat",
        "x = torch.tensor([1.0, 2.0], requires_grad=True)\n"
        "y = x.masked_fill(torch.tensor([True, False]), 0.0).repeat(3)\n"
        "(y * torch.arange(6.0)).sum().backward()\n"
        "result = grad(x)",
    ),
    Idiom(
        "no_grad",
        "x = torch.ones(2, requires_grad=True)\n"
        "with torch.no_grad():\n"
        "    y = x * 2\n"
        "result = (y.requires_grad, (x * 2).requires_grad)",
    ),
    Idiom(
        "hidden.detach()",
        "h = torch.ones(2, requires_grad=True) * 3\nd = h.detach()\nresult = (d.requires_grad, d.is_leaf, d)",
    ),
    Idiom(
        "backward of a long tensor", "result = torch.ones(2, dtype=torch.long).sum().backward()", raises=RuntimeError
    ),
    Idiom("item of many", "result = torch.ones(2).item()", raises=RuntimeError),
    # --- modules -----------------------------------------------------------------------------------
    Idiom(
        "Linear and cross_entropy",
        "lin = nn.Linear(2, 3)\n"
        "with torch.no_grad():\n"
        "    lin.weight.copy_(torch.tensor([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]]))\n"
        "    lin.bias.fill_(0.5)\n"
        "logits = lin(torch.tensor([[1.0, 2.0]]))\n"
        "result = (logits, F.cross_entropy(logits, torch.tensor([2])))",
    ),
    Idiom(
        "register_buffer(persistent=False)",
        "class M(nn.Module):\n    def __init__(self):\n        super().__init__()\n"
        "        self.register_buffer('mask', torch.ones(2), persistent=False)\n"
        "        self.register_buffer('count', torch.zeros(1))\n        self.lin = nn.Linear(1, 1)\n"
        "result = sorted(M().state_dict().keys())",
    ),
    Idiom(
        "apply(init) and requires_grad_",
        "def init(m):\n    if isinstance(m, nn.Linear):\n        nn.init.zeros_(m.weight)\n"
        "model = nn.Sequential(nn.Linear(2, 2), nn.Tanh(), nn.Linear(2, 1))\n"
        "model.apply(init)\n"
        "model.requires_grad_(False)\n"
        "result = (model[0].weight, model[2].weight.requires_grad, model[0].bias.requires_grad)",
    ),
    Idiom("model.double()", "m = nn.Linear(2, 2).double()\nresult = (m.weight.dtype, m.float().bias.dtype)"),
    Idiom("model.cpu()", "m = nn.Linear(2, 2)\nresult = m.cpu() is m"),
    Idiom(
        "Embedding lookup",
        "emb = nn.Embedding(5, 3)\nresult = (emb(torch.tensor([[1, 2], [3, 4]])).shape, emb.weight.shape)",
    ),
    Idiom(
        "LSTM outputs",
        "lstm = nn.LSTM(3, 4, num_layers=2)\n"
        "out, (h, c) = lstm(torch.zeros(5, 2, 3))\n"
        "result = (out.shape, h.shape, c.shape)",
    ),
    Idiom(
        "RNN batch_first",
        "rnn = nn.RNN(3, 4, batch_first=True)\nout, h = rnn(torch.zeros(2, 5, 3))\nresult = (out.shape, h.shape)",
    ),
    Idiom(
        "clip_grad_norm_",
        "p = nn.Parameter(torch.tensor([3.0, 4.0]))\n(p * torch.tensor([1.0, 1.0])).sum().backward()\n"
        "total = nn.utils.clip_grad_norm_([p], 1.0)\nresult = (float(total), grad(p))",
    ),
    Idiom(
        "load_state_dict of a list",
        "result = nn.Linear(2, 2).load_state_dict([('weight', torch.ones(2, 2))])",
        raises=TypeError,
    ),
]


# ------------------------------------------------------------------------------------------------
# Running an idiom under either library
# ------------------------------------------------------------------------------------------------


def _namespace(lib: types.ModuleType) -> dict:
    if lib is minigrad:
        nn = types.SimpleNamespace(**{k: getattr(minigrad.nn, k) for k in dir(minigrad.nn) if not k.startswith("_")})
        nn.LSTM, nn.RNN = seq.LSTM, seq.RNN
        functional = minigrad.nn.functional
    else:
        nn, functional = lib.nn, lib.nn.functional

    def grad(t):
        g = t.grad
        return g if isinstance(g, np.ndarray) else g.numpy()

    return {"torch": lib, "nn": nn, "F": functional, "np": np, "grad": grad}


def _run(idiom: Idiom, lib: types.ModuleType):
    namespace = _namespace(lib)
    if idiom.raises is not None:
        with pytest.raises(idiom.raises):
            exec(textwrap.dedent(idiom.code), namespace)
        return None
    exec(textwrap.dedent(idiom.code), namespace)
    return namespace["result"]


def _canonical(value, torch):
    """A comparable form: tensors and arrays as (kind, dtype, shape, values); dtypes and devices by name."""
    if isinstance(value, minigrad.Tensor | torch.Tensor):
        data = value.data if isinstance(value, minigrad.Tensor) else value.detach().numpy()
        return ("tensor", str(value.dtype).replace("torch.", ""), tuple(value.shape), np.asarray(data))
    if isinstance(value, np.ndarray):
        return ("array", str(value.dtype), value.shape, value)
    if isinstance(value, torch.dtype | np.dtype):
        return ("dtype", str(value).replace("torch.", ""))
    if isinstance(value, torch.device | minigrad.device):
        return ("device", str(value))
    if isinstance(value, tuple) and type(value).__module__.endswith("return_types"):  # (values, indices): max, ...
        return (type(value).__name__, [_canonical(v, torch) for v in value])
    if isinstance(value, list | tuple):  # torch.Size is a tuple
        return ("sequence", [_canonical(v, torch) for v in value])
    return value


def _assert_same(ours, theirs, where: str = "result") -> None:
    if isinstance(theirs, tuple) and len(theirs) == 4 and theirs[0] in ("tensor", "array"):
        assert isinstance(ours, tuple) and ours[:3] == theirs[:3], f"{where}: {ours[:3]} != {theirs[:3]}"
        tolerance = 1e-6 if theirs[1] in ("float32", "float16") else 1e-12
        np.testing.assert_allclose(ours[3], theirs[3], rtol=tolerance, atol=tolerance, err_msg=where)
    elif isinstance(theirs, tuple) and len(theirs) == 2 and isinstance(theirs[1], list):
        assert ours[0] == theirs[0] and len(ours[1]) == len(theirs[1]), f"{where}: {ours} != {theirs}"
        for i, (a, b) in enumerate(zip(ours[1], theirs[1])):
            _assert_same(a, b, f"{where}[{i}]")
    elif isinstance(theirs, float):
        assert ours == pytest.approx(theirs, rel=1e-6), f"{where}: {ours} != {theirs}"
    else:
        assert ours == theirs, f"{where}: {ours!r} != {theirs!r}"


@pytest.mark.parametrize("idiom", IDIOMS, ids=[i.name for i in IDIOMS])
def test_idiom_gives_pytorch_result(idiom):
    torch = torch_or_skip()
    ours = _canonical(_run(idiom, minigrad), torch)
    theirs = _canonical(_run(idiom, torch), torch)
    _assert_same(ours, theirs)


def test_the_table_is_large_and_covers_the_idioms_that_used_to_fail():
    names = {i.name for i in IDIOMS}
    used_to_fail = {
        "size(0)",
        "size()",
        "multinomial(probs, 1)",
        "to('cpu')",
        "model.to(device)",
        "t()",
        "contiguous",
        "new_zeros",
        "long()",
        "dtype=torch.long",
        "masked_fill",
        "topk",
        "repeat",
        "values, indices = x.max(dim=1)",
        "torch.max(x, 1)",
    }
    assert used_to_fail <= names and len(IDIOMS) >= 50 and len(names) == len(IDIOMS)
