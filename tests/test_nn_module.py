"""minigrad.nn.Module: registration, iteration, modes, state_dict round trips (also from PyTorch), the
printed tree, and the containers."""

from __future__ import annotations

import copy
import itertools
from collections import OrderedDict

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import minigrad
from minigrad import Tensor, nn


class Block(nn.Module):
    """A module with a parameter, a submodule, a persistent and a non-persistent buffer."""

    def __init__(self) -> None:
        super().__init__()
        self.scale = nn.Parameter(np.ones(3, dtype=np.float32))
        self.proj = nn.Linear(3, 2)
        self.register_buffer("running", minigrad.zeros(3))
        self.register_buffer("cache", minigrad.zeros(2), persistent=False)

    def forward(self, x):
        return self.proj(x * self.scale)


class Net(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.block = Block()
        self.head = nn.Sequential(nn.Tanh(), nn.Linear(2, 1))

    def forward(self, x):
        return self.head(self.block(x))


def test_parameter_is_a_tensor_that_requires_grad():
    p = nn.Parameter(np.zeros((2, 2)))
    assert isinstance(p, Tensor) and p.requires_grad and p.dtype == np.float64
    assert repr(p).startswith("Parameter containing:\ntensor(")
    assert not nn.Parameter(np.zeros(2), requires_grad=False).requires_grad


def test_registration_and_dotted_names():
    net = Net()
    names = [name for name, _ in net.named_parameters()]
    assert names == ["block.scale", "block.proj.weight", "block.proj.bias", "head.1.weight", "head.1.bias"]
    assert [name for name, _ in net.named_buffers()] == ["block.running", "block.cache"]
    assert [name for name, _ in net.named_children()] == ["block", "head"]
    modules = ["", "block", "block.proj", "head", "head.0", "head.1"]
    assert [name for name, _ in net.named_modules()] == modules
    assert list(net.children()) == [net.block, net.head]
    assert len(list(net.modules())) == 6
    assert len(list(net.parameters(recurse=False))) == 0
    assert net.block.running is net.block._buffers["running"]


def test_shared_parameters_are_listed_once():
    shared = nn.Linear(2, 2)
    seq = nn.Sequential(shared, shared)
    assert len(list(seq.parameters())) == 2
    assert len(list(seq.modules())) == 2


def test_assignment_rules():
    block = Block()
    with pytest.raises(TypeError, match="parameter 'scale'"):
        block.scale = minigrad.ones(3)
    block.proj = None  # a registered child may be set to None
    assert block._modules["proj"] is None
    block.running = minigrad.ones(3)  # a buffer may be replaced by a tensor
    assert block._buffers["running"].data.sum() == 3
    block.extra = 5  # plain attributes stay plain
    assert "extra" not in block._parameters and block.extra == 5
    del block.scale
    assert "scale" not in block._parameters
    with pytest.raises(AttributeError, match="no attribute 'missing'"):
        block.missing


def test_forgetting_super_init_is_a_clear_error():
    class Broken(nn.Module):
        def __init__(self):
            self.w = nn.Parameter(np.zeros(2))

    with pytest.raises(AttributeError, match=r"super\(\).__init__\(\)"):
        Broken()


def test_train_eval_propagate():
    net = Net()
    assert all(m.training for m in net.modules())
    assert net.eval() is net
    assert not any(m.training for m in net.modules())
    net.train()
    assert all(m.training for m in net.modules())


def test_zero_grad_to_none_or_zeros():
    net = Net()
    net(minigrad.randn(4, 3)).sum().backward()
    grads = [p.grad for p in net.parameters()]
    assert all(g is not None and g.any() for g in grads)
    net.zero_grad(set_to_none=False)
    assert all(p.grad is g and not g.any() for p, g in zip(net.parameters(), grads))  # same arrays, zeroed
    net.zero_grad()
    assert all(p.grad is None for p in net.parameters())


def test_apply_visits_children_first():
    net = Net()
    seen = []
    assert net.apply(lambda m: seen.append(type(m).__name__)) is net
    assert seen == ["Linear", "Block", "Tanh", "Linear", "Sequential", "Net"]


def test_repr_matches_pytorch():
    model = nn.Sequential(
        nn.Linear(4, 8),
        nn.ReLU(),
        nn.Dropout(0.25),
        nn.Linear(8, 2, bias=False),
        nn.LayerNorm(2),
        nn.Embedding(5, 2, padding_idx=0),
        nn.LogSoftmax(dim=1),
    )
    torch = pytest.importorskip("torch")
    tnn = torch.nn
    theirs = tnn.Sequential(
        tnn.Linear(4, 8),
        tnn.ReLU(),
        tnn.Dropout(0.25),
        tnn.Linear(8, 2, bias=False),
        tnn.LayerNorm(2),
        tnn.Embedding(5, 2, padding_idx=0),
        tnn.LogSoftmax(dim=1),
    )
    assert repr(model) == repr(theirs)


def test_repr_of_nested_custom_modules():
    assert repr(Net()) == (
        "Net(\n"
        "  (block): Block(\n"
        "    (proj): Linear(in_features=3, out_features=2, bias=True)\n"
        "  )\n"
        "  (head): Sequential(\n"
        "    (0): Tanh()\n"
        "    (1): Linear(in_features=2, out_features=1, bias=True)\n"
        "  )\n"
        ")"
    )


# --------------------------------------------------------------------------------------------------
# state_dict / load_state_dict
# --------------------------------------------------------------------------------------------------


def test_state_dict_keys_and_copies():
    net = Net()
    sd = net.state_dict()
    assert isinstance(sd, OrderedDict)
    assert list(sd) == [
        "block.scale",
        "block.running",
        "block.proj.weight",
        "block.proj.bias",
        "head.1.weight",
        "head.1.bias",
    ]  # the non-persistent buffer is left out
    sd["block.scale"][...] = 7
    assert net.block.scale.data[0] == 1  # a copy, not a view


def test_load_state_dict_copies_in_place_and_keeps_dtype():
    a, b = Net(), Net()
    params_before = list(b.parameters())
    sd = {k: v.astype(np.float64) for k, v in a.state_dict().items()}
    result = b.load_state_dict(sd)
    assert result.missing_keys == [] and result.unexpected_keys == []
    assert repr(result) == "<All keys matched successfully>"
    assert all(p is q for p, q in zip(b.parameters(), params_before))  # the same objects
    assert all(p.dtype == np.float32 for p in b.parameters())
    for key, value in a.state_dict().items():
        np.testing.assert_array_equal(b.state_dict()[key], value)


def test_load_state_dict_lists_all_missing_and_unexpected_keys():
    net = Net()
    sd = net.state_dict()
    del sd["block.scale"], sd["head.1.bias"]
    sd["extra.weight"] = np.zeros(1)
    sd["other"] = np.zeros(1)
    with pytest.raises(RuntimeError) as info:
        net.load_state_dict(sd)
    message = str(info.value)
    assert 'Missing key(s) in state_dict: "block.scale", "head.1.bias"' in message
    assert 'Unexpected key(s) in state_dict: "extra.weight", "other"' in message
    assert message.startswith("Error(s) in loading state_dict for Net")


def test_load_state_dict_shape_mismatch_names_the_key_and_both_shapes_and_copies_nothing():
    net = Net()
    before = net.state_dict()
    sd = {k: v + 1 for k, v in before.items()}
    sd["block.proj.weight"] = np.zeros((3, 2), dtype=np.float32)
    with pytest.raises(RuntimeError, match=r"size mismatch for block.proj.weight: .*\(3, 2\).*\(2, 3\)"):
        net.load_state_dict(sd)
    with pytest.raises(RuntimeError, match="size mismatch"):
        net.load_state_dict(sd, strict=False)  # a wrong shape is an error even when not strict
    for key, value in net.state_dict().items():
        np.testing.assert_array_equal(value, before[key])


def test_load_state_dict_not_strict_returns_the_incompatible_keys():
    net = Net()
    sd = net.state_dict()
    del sd["head.1.bias"]
    sd["surplus"] = np.zeros(2)
    missing, unexpected = net.load_state_dict(sd, strict=False)
    assert missing == ["head.1.bias"] and unexpected == ["surplus"]


@given(st.lists(st.integers(1, 4), min_size=2, max_size=4), st.integers(0, 2**32 - 1))
def test_load_state_dict_from_pytorch(sizes, seed):
    torch = pytest.importorskip("torch")
    torch.manual_seed(seed)
    tlayers, layers = [], []
    for n_in, n_out in itertools.pairwise(sizes):
        tlayers += [torch.nn.Linear(n_in, n_out), torch.nn.Tanh()]
        layers += [nn.Linear(n_in, n_out, dtype=np.float64), nn.Tanh()]
    theirs, mine = torch.nn.Sequential(*tlayers).double(), nn.Sequential(*layers)
    mine.load_state_dict({k: v.numpy() for k, v in theirs.state_dict().items()})
    x = np.random.default_rng(seed).normal(size=(3, sizes[0]))
    expected = theirs(torch.tensor(x)).detach().numpy()
    np.testing.assert_allclose(mine(Tensor(x)).data, expected, rtol=1e-10, atol=1e-12)
    assert list(mine.state_dict()) == list(theirs.state_dict())


def test_load_state_dict_from_pytorch_float32_keeps_float64_parameters():
    torch = pytest.importorskip("torch")
    theirs = torch.nn.Linear(3, 2)
    mine = nn.Linear(3, 2, dtype=np.float64)
    mine.load_state_dict({k: v.numpy() for k, v in theirs.state_dict().items()})
    assert mine.weight.dtype == np.float64
    np.testing.assert_array_equal(mine.weight.data, theirs.weight.detach().numpy().astype(np.float64))


def test_buffers_of_losses_are_in_the_state_dict():
    loss = nn.CrossEntropyLoss(weight=np.array([1.0, 2.0]))
    assert list(loss.state_dict()) == ["weight"]
    assert list(nn.CrossEntropyLoss().state_dict()) == []


# --------------------------------------------------------------------------------------------------
# Containers
# --------------------------------------------------------------------------------------------------


def test_sequential_indexing_and_forward():
    seq = nn.Sequential(nn.Linear(2, 3), nn.Tanh(), nn.Linear(3, 1))
    assert len(seq) == 3 and isinstance(seq[-1], nn.Linear) and isinstance(seq[1:], nn.Sequential)
    assert [type(m).__name__ for m in seq[1:]] == ["Tanh", "Linear"]
    x = minigrad.randn(4, 2)
    np.testing.assert_allclose(seq(x).data, seq[2](seq[1](seq[0](x))).data)
    named = nn.Sequential(OrderedDict([("enc", nn.Linear(2, 2)), ("act", nn.ReLU())]))
    assert list(named.state_dict()) == ["enc.weight", "enc.bias"]
    seq.append(nn.Sigmoid())
    assert len(seq) == 4 and "3" in seq._modules
    with pytest.raises(IndexError, match="out of range"):
        seq[10]


def test_module_list_registers_and_renumbers():
    layers = nn.ModuleList([nn.Linear(2, 2) for _ in range(3)])
    assert len(list(layers.parameters())) == 6
    layers.append(nn.Tanh())
    layers.extend([nn.ReLU()])
    assert [type(m).__name__ for m in layers] == ["Linear", "Linear", "Linear", "Tanh", "ReLU"]
    del layers[0]
    assert list(layers._modules) == ["0", "1", "2", "3"]
    layers.insert(0, nn.Identity())
    assert isinstance(layers[0], nn.Identity) and len(layers) == 5
    assert isinstance(layers[1:3], nn.ModuleList) and len(layers[1:3]) == 2
    assert next(iter(nn.Sequential(layers).state_dict())) == "0.1.weight"


def test_module_dict():
    d = nn.ModuleDict({"a": nn.Linear(1, 2), "b": nn.Tanh()})
    assert "a" in d and len(d) == 2 and list(d.keys()) == ["a", "b"]
    d["c"] = nn.Linear(2, 2)
    assert list(d.state_dict()) == ["a.weight", "a.bias", "c.weight", "c.bias"]
    assert isinstance(d.pop("b"), nn.Tanh) and list(d) == ["a", "c"]


def test_missing_forward_is_a_clear_error():
    with pytest.raises(NotImplementedError, match="forward"):
        nn.Module()(1)


# --------------------------------------------------------------------------------------------------
# Working with the rest of minigrad
# --------------------------------------------------------------------------------------------------


def test_state_dict_survives_a_checkpoint_file(tmp_path):
    a, b = Net(), Net()
    serialization = pytest.importorskip("minigrad.serialization")
    serialization.save(a.state_dict(), tmp_path / "model.ckpt")
    b.load_state_dict(serialization.load(tmp_path / "model.ckpt"))
    x = minigrad.randn(2, 3)
    np.testing.assert_array_equal(a(x).data, b(x).data)


def test_deepcopy_gives_independent_parameters():
    a = Net()
    b = copy.deepcopy(a)
    assert isinstance(b.block.scale, nn.Parameter) and b.block.scale is not a.block.scale
    with minigrad.no_grad():
        b.block.scale.fill_(5.0)
    assert (a.block.scale.data == 1).all()


def test_a_small_classifier_learns():
    minigrad.manual_seed(0)
    x = minigrad.randn(32, 2)
    y = (x.data[:, 0] * x.data[:, 1] > 0).astype(np.int64)  # XOR of the signs: needs the hidden layer
    model = nn.Sequential(nn.Linear(2, 16), nn.Tanh(), nn.Linear(16, 2))
    loss_fn = nn.CrossEntropyLoss()
    first = None
    for _ in range(300):
        loss = loss_fn(model(x), y)
        first = loss.item() if first is None else first
        model.zero_grad()
        loss.backward()
        with minigrad.no_grad():
            for p in model.parameters():
                p.sub_(0.5 * p.grad)
    assert loss.item() < 0.3 * first
    assert (model(x).data.argmax(1) == y).mean() > 0.9


def test_to_double_converts_in_place():
    net = Net()
    params = list(net.parameters())
    assert net.double() is net
    assert all(p.dtype == np.float64 for p in net.parameters()) and net.block.running.dtype == np.float64
    assert all(p is q for p, q in zip(net.parameters(), params))
    assert net(minigrad.randn(2, 3, dtype=np.float64)).dtype == np.float64
    assert all(p.dtype == np.float32 for p in net.float().parameters())


def test_reassigning_keeps_the_order_and_none_buffers_are_skipped():
    layer = nn.Linear(2, 2)
    layer.weight = nn.Parameter(np.zeros((2, 2), dtype=np.float32))
    assert list(layer.state_dict()) == ["weight", "bias"]
    assert not layer.state_dict()["weight"].any()
    layer.register_buffer("mask", None)
    assert list(layer.state_dict()) == ["weight", "bias"] and list(layer.buffers()) == []
    layer.mask = minigrad.ones(2)
    assert list(layer.state_dict()) == ["weight", "bias", "mask"]
    with pytest.raises(TypeError, match="buffer 'mask'"):
        layer.mask = 3.0


def test_to_takes_pytorch_arguments():
    net = Net()
    params = list(net.parameters())
    device = minigrad.device("cuda" if minigrad.cuda.is_available() else "cpu")
    assert net.to(device) is net and net.to("cpu") is net and net.cpu() is net
    assert all(p.dtype == np.float32 for p in net.parameters())  # a device alone changes nothing
    assert net.to("cpu", minigrad.float64) is net and net.block.scale.dtype == np.float64
    assert net.to(dtype=minigrad.float32).block.running.dtype == np.float32
    assert net.to(minigrad.zeros(1, dtype=minigrad.float64)).head[1].weight.dtype == np.float64  # a tensor's dtype
    assert all(p is q for p, q in zip(net.parameters(), params))
    with pytest.raises(RuntimeError, match="CPU only"):
        net.to("cuda")
    with pytest.raises(RuntimeError, match="CPU only"):
        net.cuda()
    with pytest.raises(TypeError, match="only accepts floating point"):
        net.to(minigrad.long)
    with pytest.raises(NotImplementedError, match="float16"):
        net.half()


def test_requires_grad_freezes_every_parameter():
    net = Net()
    assert net.requires_grad_(False) is net
    assert not any(p.requires_grad for p in net.parameters())
    assert all(p.requires_grad for p in net.requires_grad_().parameters())


def test_non_persistent_buffers_stay_out_of_the_state_dict_but_move_with_to():
    net = Net()
    assert "block.cache" not in net.state_dict() and "block.running" in net.state_dict()
    assert [name for name, _ in net.named_buffers()] == ["block.running", "block.cache"]
    net.double()
    assert net.block.cache.dtype == np.float64
    net.load_state_dict(net.state_dict())  # strict: the non-persistent buffer is not expected


def test_load_state_dict_takes_any_mapping_and_refuses_a_list():
    class Frozen(dict):
        pass

    net, other = Net(), Net()
    other.load_state_dict(Frozen(net.state_dict()))
    np.testing.assert_array_equal(other.head[1].weight.data, net.head[1].weight.data)
    with pytest.raises(TypeError, match=r"Expected state_dict to be dict-like, got <class 'list'>"):
        other.load_state_dict(list(net.state_dict().items()))
