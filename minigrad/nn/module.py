"""Module, the base class of every layer (the containers built on it are in ``container.py``).

A ``Module`` finds its own parameters: assigning a ``Parameter`` to an attribute registers it, assigning a
``Module`` registers a submodule, and ``register_buffer`` registers a tensor that is state but not trained
(a running mean, a mask). From these three registries come ``parameters()``, ``state_dict()`` and the
printed tree, with PyTorch's names (``encoder.layers.0.weight``).
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Iterator, Mapping
from typing import Any, NamedTuple

import numpy as np

from minigrad.autograd import no_grad
from minigrad.device import as_device
from minigrad.tensor import Tensor
from minigrad.tensor_methods import _HALF, _to_args

__all__ = ["Module", "Parameter"]


class Parameter(Tensor):
    """A tensor that is a learnable weight: assigned to a ``Module`` attribute, it is registered.

    Args:
        data: the initial values (a NumPy array keeps its dtype and memory, as ``torch.from_numpy``).
        requires_grad: whether the optimizer trains it (default True).
    """

    def __init__(self, data: Any = None, requires_grad: bool = True) -> None:
        if data is None:
            data = np.empty((0,), dtype=np.float32)
        super().__init__(data, requires_grad=requires_grad)

    def __repr__(self) -> str:
        return "Parameter containing:\n" + super().__repr__()


class _IncompatibleKeys(NamedTuple):
    """What ``load_state_dict(strict=False)`` returns (PyTorch's ``_IncompatibleKeys``)."""

    missing_keys: list
    unexpected_keys: list

    def __repr__(self) -> str:
        if not self.missing_keys and not self.unexpected_keys:
            return "<All keys matched successfully>"
        return f"_IncompatibleKeys(missing_keys={self.missing_keys}, unexpected_keys={self.unexpected_keys})"


def _addindent(text: str, spaces: int) -> str:
    """Indent every line but the first (how a child's repr nests in its parent's)."""
    lines = text.split("\n")
    if len(lines) == 1:
        return text
    return lines[0] + "\n" + "\n".join(" " * spaces + line for line in lines[1:])


class Module:
    """Base class of layers. Subclass it, call ``super().__init__()`` first, then assign parameters
    and submodules as attributes, and define ``forward``::

        class MLP(Module):
            def __init__(self):
                super().__init__()
                self.hidden = Linear(4, 8)
                self.out = Linear(8, 1)

            def forward(self, x):
                return self.out(self.hidden(x).tanh())

    ``model(x)`` calls ``forward``. ``training`` is True until ``eval()``; it changes what dropout does.
    """

    training: bool

    def __init__(self) -> None:
        object.__setattr__(self, "training", True)
        object.__setattr__(self, "_parameters", OrderedDict())
        object.__setattr__(self, "_buffers", OrderedDict())
        object.__setattr__(self, "_non_persistent_buffers", set())
        object.__setattr__(self, "_modules", OrderedDict())

    def forward(self, *args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError(f'Module [{type(self).__name__}] is missing the required "forward"')

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self.forward(*args, **kwargs)

    # ------------------------------------------------------------------------------------------
    # Registration
    # ------------------------------------------------------------------------------------------

    def _check_initialized(self, what: str) -> None:
        if "_parameters" not in self.__dict__:
            raise AttributeError(
                f"cannot assign {what} before Module.__init__() call: call super().__init__() first "
                f"in {type(self).__name__}.__init__"
            )

    def register_parameter(self, name: str, param: Parameter | None) -> None:
        """Register ``param`` (or None: a declared but absent parameter, such as a missing bias)."""
        self._check_initialized("parameters")
        if not isinstance(name, str) or not name or "." in name:
            raise KeyError(f'parameter name must be a non-empty string without ".", got {name!r}')
        if param is not None and not isinstance(param, Parameter):
            raise TypeError(
                f"cannot assign '{type(param).__name__}' object to parameter '{name}' "
                "(minigrad.nn.Parameter or None required)"
            )
        self._forget(name, keep=self._parameters)
        self._parameters[name] = param

    def register_buffer(self, name: str, tensor: Tensor | None, persistent: bool = True) -> None:
        """Register a tensor that is state but not a parameter (it is in ``state_dict`` if ``persistent``)."""
        self._check_initialized("buffers")
        if not isinstance(name, str) or not name or "." in name:
            raise KeyError(f'buffer name must be a non-empty string without ".", got {name!r}')
        if tensor is not None and not isinstance(tensor, Tensor):
            raise TypeError(
                f"cannot assign '{type(tensor).__name__}' object to buffer '{name}' (Tensor or None required)"
            )
        self._forget(name, keep=self._buffers)
        self._buffers[name] = tensor
        if persistent:
            self._non_persistent_buffers.discard(name)
        else:
            self._non_persistent_buffers.add(name)

    def add_module(self, name: str, module: Module | None) -> None:
        """Register a submodule (``register_module`` is the same)."""
        self._check_initialized("child modules")
        if module is not None and not isinstance(module, Module):
            raise TypeError(f"{type(module).__name__} is not a Module subclass")
        if not isinstance(name, str) or "." in name or name == "":
            raise KeyError(f'module name must be a non-empty string without ".", got {name!r}')
        self._forget(name, keep=self._modules)
        self._modules[name] = module

    register_module = add_module

    def _forget(self, name: str, keep: dict) -> None:
        """Remove ``name`` from the instance dict and the registries other than ``keep`` (where it is about
        to be registered; re-assigning there keeps its place in ``state_dict``, as PyTorch)."""
        self.__dict__.pop(name, None)
        for registry in (self._parameters, self._buffers, self._modules):
            if registry is not keep:
                registry.pop(name, None)
        if keep is not self._buffers:
            self._non_persistent_buffers.discard(name)

    def __setattr__(self, name: str, value: Any) -> None:
        params = self.__dict__.get("_parameters")
        if isinstance(value, Parameter):
            self._check_initialized("parameters")
            self.register_parameter(name, value)
        elif params is not None and name in params:
            if value is not None:
                raise TypeError(
                    f"cannot assign '{type(value).__name__}' as parameter '{name}' "
                    "(minigrad.nn.Parameter or None expected)"
                )
            params[name] = None
        elif isinstance(value, Module):
            self._check_initialized("child modules")
            self.add_module(name, value)
        elif self.__dict__.get("_modules") is not None and name in self._modules:
            if value is not None:
                raise TypeError(
                    f"cannot assign '{type(value).__name__}' as child module '{name}' (Module or None expected)"
                )
            self._modules[name] = None
        elif self.__dict__.get("_buffers") is not None and name in self._buffers:
            if value is not None and not isinstance(value, Tensor):
                raise TypeError(f"cannot assign '{type(value).__name__}' as buffer '{name}' (Tensor or None expected)")
            self._buffers[name] = value
        else:
            object.__setattr__(self, name, value)

    def __getattr__(self, name: str) -> Any:
        # only called when normal lookup fails: look in the registries
        d = self.__dict__
        for registry in ("_parameters", "_buffers", "_modules"):
            if registry in d and name in d[registry]:
                return d[registry][name]
        raise AttributeError(f"'{type(self).__name__}' object has no attribute '{name}'")

    def __delattr__(self, name: str) -> None:
        for registry in (self._parameters, self._buffers, self._modules):
            if name in registry:
                del registry[name]
                self._non_persistent_buffers.discard(name)
                return
        object.__delattr__(self, name)

    # ------------------------------------------------------------------------------------------
    # Iteration over the tree
    # ------------------------------------------------------------------------------------------

    def named_modules(self, memo: set | None = None, prefix: str = "", remove_duplicate: bool = True) -> Iterator:
        """``(dotted name, module)`` for this module (name ``""``) and every descendant, each once."""
        if memo is None:
            memo = set()
        if remove_duplicate:
            if id(self) in memo:
                return
            memo.add(id(self))
        yield prefix, self
        for name, module in self._modules.items():
            if module is None:
                continue
            sub = prefix + ("." if prefix else "") + name
            yield from module.named_modules(memo, sub, remove_duplicate)

    def modules(self) -> Iterator[Module]:
        for _, module in self.named_modules():
            yield module

    def named_children(self) -> Iterator:
        """``(name, module)`` for each direct submodule."""
        seen = set()
        for name, module in self._modules.items():
            if module is not None and id(module) not in seen:
                seen.add(id(module))
                yield name, module

    def children(self) -> Iterator[Module]:
        for _, module in self.named_children():
            yield module

    def _named_members(self, registry: str, prefix: str, recurse: bool, remove_duplicate: bool) -> Iterator:
        seen: set = set()
        if recurse:
            modules = self.named_modules(prefix=prefix, remove_duplicate=remove_duplicate)
        else:
            modules = [(prefix, self)]
        for module_prefix, module in modules:
            for name, value in getattr(module, registry).items():
                if value is None or (remove_duplicate and id(value) in seen):
                    continue
                seen.add(id(value))
                yield module_prefix + ("." if module_prefix else "") + name, value

    def named_parameters(self, prefix: str = "", recurse: bool = True, remove_duplicate: bool = True) -> Iterator:
        """``(dotted name, parameter)`` pairs; a parameter shared by two modules appears once."""
        yield from self._named_members("_parameters", prefix, recurse, remove_duplicate)

    def parameters(self, recurse: bool = True) -> Iterator[Parameter]:
        for _, param in self.named_parameters(recurse=recurse):
            yield param

    def named_buffers(self, prefix: str = "", recurse: bool = True, remove_duplicate: bool = True) -> Iterator:
        yield from self._named_members("_buffers", prefix, recurse, remove_duplicate)

    def buffers(self, recurse: bool = True) -> Iterator[Tensor]:
        for _, buffer in self.named_buffers(recurse=recurse):
            yield buffer

    def get_submodule(self, target: str) -> Module:
        """The submodule at a dotted path (``"encoder.layers.0"``)."""
        module = self
        for part in target.split(".") if target else []:
            if part not in module._modules or module._modules[part] is None:
                raise AttributeError(f"{type(module).__name__} has no submodule `{part}` (in {target!r})")
            module = module._modules[part]
        return module

    # ------------------------------------------------------------------------------------------
    # Modes and gradients
    # ------------------------------------------------------------------------------------------

    def train(self, mode: bool = True) -> Module:
        """Set training mode on this module and every descendant; returns self."""
        if not isinstance(mode, bool):
            raise ValueError("training mode is expected to be boolean")
        for module in self.modules():
            object.__setattr__(module, "training", mode)
        return self

    def eval(self) -> Module:
        """Evaluation mode (``train(False)``): dropout becomes the identity."""
        return self.train(False)

    def requires_grad_(self, requires_grad: bool = True) -> Module:
        for param in self.parameters():
            param.requires_grad_(requires_grad)
        return self

    def to(self, *args: Any, **kwargs: Any) -> Module:
        """PyTorch's ``Module.to``: ``to(dtype)``, ``to("cpu")``, ``to(device, dtype)``, ``to(tensor)``, or keywords.

        Every floating parameter and buffer (and gradient) is converted to a floating ``dtype`` in place;
        a device must be the CPU (where everything is). Returns self. The Parameter objects stay the same
        (their ``.data`` is replaced), so an optimizer built before still holds them.
        """
        kwargs.pop("non_blocking", None)
        dtype, _ = _to_args("Module.to", args, kwargs)
        if dtype is not None and dtype.kind != "f":
            raise TypeError(f"nn.Module.to only accepts floating point dtypes, but got desired dtype={dtype}")
        if dtype is not None:
            for module in self.modules():
                for t in list(module._parameters.values()) + list(module._buffers.values()):
                    if t is not None and t.data.dtype.kind == "f":
                        t.data = t.data.astype(dtype)
                        if t.grad is not None:
                            t.grad = t.grad.astype(dtype)
        return self

    def double(self) -> Module:
        return self.to(np.float64)

    def float(self) -> Module:
        return self.to(np.float32)

    def half(self) -> Module:
        raise NotImplementedError(_HALF)

    def cpu(self) -> Module:
        """This module: everything is on the CPU already."""
        return self

    def cuda(self, device: Any = None) -> Module:
        as_device("cuda" if device is None else device)  # raises: there is no GPU
        return self

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Reset the gradients of all parameters: to None (default), or to zeros in place."""
        for param in self.parameters():
            if param.grad is None:
                continue
            if set_to_none:
                param.grad = None
            else:
                param.grad[...] = 0

    def apply(self, fn: Callable[[Module], Any]) -> Module:
        """Call ``fn`` on every submodule (children first) and then on self; returns self."""
        for module in self.children():
            module.apply(fn)
        fn(self)
        return self

    # ------------------------------------------------------------------------------------------
    # State dict
    # ------------------------------------------------------------------------------------------

    def _state_entries(self) -> OrderedDict:
        """Dotted key -> the tensor holding that state (parameters, then persistent buffers, per module)."""
        entries: OrderedDict = OrderedDict()
        for prefix, module in self.named_modules(remove_duplicate=False):
            dot = prefix + "." if prefix else ""
            for name, param in module._parameters.items():
                if param is not None:
                    entries[dot + name] = param
            for name, buffer in module._buffers.items():
                if buffer is not None and name not in module._non_persistent_buffers:
                    entries[dot + name] = buffer
        return entries

    def state_dict(self, prefix: str = "") -> OrderedDict:
        """An ``OrderedDict`` from dotted names (``"0.weight"``) to copies of the arrays."""
        entries = self._state_entries().items()
        return OrderedDict((prefix + key, np.array(t.data, copy=True)) for key, t in entries)

    def load_state_dict(self, state_dict: Any, strict: bool = True) -> _IncompatibleKeys:
        """Copy values from ``state_dict`` into the parameters and buffers, in place.

        The Parameter objects stay the same (an optimizer holding them sees the new values) and keep their
        dtype: a float64 array is converted into a float32 parameter. Values may be NumPy arrays, tensors,
        or anything ``np.asarray`` accepts (``{k: v.numpy() for k, v in torch_model.state_dict().items()}``).

        Args:
            state_dict: a mapping from dotted names to values.
            strict: raise if a key is missing or unexpected. A shape mismatch always raises.

        Returns:
            ``(missing_keys, unexpected_keys)``, a NamedTuple.

        Raises:
            RuntimeError: listing every missing key, every unexpected key (when strict) and every shape
                mismatch (with both shapes). Nothing is copied when it raises.
        """
        if not isinstance(state_dict, Mapping):
            raise TypeError(
                f"Expected state_dict to be dict-like, got {type(state_dict)}. Pass a mapping from names to "
                "values, such as model.state_dict() or dict(pairs)."
            )
        own = self._state_entries()
        missing = [key for key in own if key not in state_dict]
        unexpected = [key for key in state_dict if key not in own]
        errors = []
        values = {}
        for key, target in own.items():
            if key not in state_dict:
                continue
            value = state_dict[key]
            value = value.data if isinstance(value, Tensor) else np.asarray(value)
            if value.shape != target.data.shape:
                errors.append(
                    f"size mismatch for {key}: copying a param with shape {tuple(value.shape)} from "
                    f"checkpoint, the shape in current model is {tuple(target.data.shape)}."
                )
            values[key] = value
        if strict:
            if unexpected:
                names = ", ".join(f'"{k}"' for k in unexpected)
                errors.insert(0, f"Unexpected key(s) in state_dict: {names}. ")
            if missing:
                names = ", ".join(f'"{k}"' for k in missing)
                errors.insert(0, f"Missing key(s) in state_dict: {names}. ")
        if errors:
            raise RuntimeError(f"Error(s) in loading state_dict for {type(self).__name__}:\n\t" + "\n\t".join(errors))
        with no_grad():
            for key, value in values.items():
                own[key].copy_(value)  # in place: converts to the tensor's dtype
        return _IncompatibleKeys(missing, unexpected)

    # ------------------------------------------------------------------------------------------
    # Printing
    # ------------------------------------------------------------------------------------------

    def extra_repr(self) -> str:
        """The text inside this module's parentheses (its settings); override it in a layer."""
        return ""

    def _get_name(self) -> str:
        return type(self).__name__

    def __repr__(self) -> str:
        extra = self.extra_repr()
        extra_lines = extra.split("\n") if extra else []
        child_lines = [f"({name}): " + _addindent(repr(module), 2) for name, module in self._modules.items()]
        lines = extra_lines + child_lines
        text = self._get_name() + "("
        if lines:
            if len(extra_lines) == 1 and not child_lines:
                text += extra_lines[0]
            else:
                text += "\n  " + "\n  ".join(lines) + "\n"
        return text + ")"


def __getattr__(name: str) -> Any:
    """The containers lived here before ``container.py``: ``from minigrad.nn.module import Sequential`` still works."""
    if name in ("Sequential", "ModuleList", "ModuleDict"):
        from minigrad.nn import container

        return getattr(container, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
