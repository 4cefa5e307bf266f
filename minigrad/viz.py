"""See the graph autograd recorded: Graphviz DOT text from a tensor's ``grad_fn`` chain, with no dependency.

    >>> import minigrad
    >>> from minigrad.viz import to_dot
    >>> x = minigrad.tensor([1.0, 2.0], requires_grad=True)
    >>> y = (x * x).sum()
    >>> print(to_dot(y).splitlines()[0])
    digraph minigrad {

The picture has one box per tensor (its name if you gave one, shape, dtype, ``requires_grad``, and the
norm of ``.grad`` once a backward pass has filled it) and one ellipse per op (the ``Function``'s name,
``TanhBackward``), with edges in the forward direction: input tensor -> op -> output tensor. Arguments
that are not tensors (an axis, a shape, the 1 of ``1 - z``) are left out unless ``show_constants=True``.

A recurrent network unrolled over many steps is a large graph. ``group=`` draws each time step in its
own box (a Graphviz ``subgraph cluster_t``), which is the course's unrolled picture. Pass the state
each step produced, in the order of the steps, as you loop the cell::

    steps = []
    a = a0
    for t in range(T):
        a = cell(x[t], a)
        steps.append(a)                       # LSTM: steps.append((a, c))
    print(to_dot(loss, group=steps))          # clusters "t=1" ... "t=T"

or a dict ``{a<t>: label}`` to choose the labels. A ``seq`` layer built with ``impl="cells"``
(time-major, one direction) stacks the states of its steps last, so ``group=list(output.grad_fn.parents)``
groups it. Step t's box holds every node computed between a<t-1> and a<t>: what the walk back from a<t>
reaches before it meets another step's state. A node reached from several steps (a weight shared by all
steps, the input projection of the whole sequence) stays outside the boxes, where it belongs.

In a Jupyter notebook, ``draw_dot(loss)`` displays the graph inline (an SVG where Graphviz is installed,
the DOT text otherwise), as micrograd's ``draw_dot`` does.

``render(tensor, "graph.svg")`` draws the picture through the ``graphviz`` package (``pip install
"minigrad[viz]"`` and the Graphviz ``dot`` program); without them it writes ``graph.dot`` and says how
to render it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from minigrad.tensor import Tensor

__all__ = ["Graph", "draw_dot", "graph_nodes", "render", "to_dot"]

_FORMATS = {".svg": "svg", ".png": "png", ".pdf": "pdf"}


# ------------------------------------------------------------------------------------------------
# Walking the graph
# ------------------------------------------------------------------------------------------------


def graph_nodes(tensor: Tensor, max_nodes: int | None = None) -> tuple[list, list, bool]:
    """The tensors and ops of the graph that ends at ``tensor``, breadth-first from it.

    Args:
        tensor: the output to start from (usually the loss).
        max_nodes: stop after this many nodes (tensors + ops), None for no limit.

    Returns:
        ``(tensors, ops, truncated)``: the Tensor objects and the ``Function`` contexts (each once),
        nearest the output first, and whether ``max_nodes`` cut the walk short. Iterative: a graph
        unrolled over 100,000 steps is walked without recursion.
    """
    tensors: list = [tensor]
    ops: list = []
    seen = {id(tensor)}
    queue = [tensor]
    head = 0
    truncated = False
    while head < len(queue):
        t = queue[head]
        head += 1
        ctx = t.grad_fn
        if ctx is None or id(ctx) in seen:
            continue
        if max_nodes is not None and len(tensors) + len(ops) >= max_nodes:
            truncated = True
            break
        seen.add(id(ctx))
        ops.append(ctx)
        for p in ctx.parents:
            if isinstance(p, Tensor) and id(p) not in seen:
                if max_nodes is not None and len(tensors) + len(ops) >= max_nodes:
                    truncated = True
                    break
                seen.add(id(p))
                tensors.append(p)
                queue.append(p)
    return tensors, ops, truncated


def _steps(group: Any) -> list:
    """Normalise ``group`` to a list of (label, [tensors of the step])."""
    if group is None:
        return []
    if isinstance(group, Mapping):
        steps: dict = {}
        for t, label in group.items():
            if not isinstance(t, Tensor):
                raise TypeError(f"group: a dict maps each step's tensor to its label; got a key of type {type(t)}")
            steps.setdefault(str(label), []).append(t)
        return list(steps.items())
    if isinstance(group, Sequence) and not isinstance(group, str):
        out = []
        for t, item in enumerate(group, start=1):
            members = list(item) if isinstance(item, tuple | list) else [item]
            if not all(isinstance(m, Tensor) for m in members):
                raise TypeError("group: each item is a step's state, a Tensor or a tuple of Tensors (LSTM: (a, c))")
            out.append((f"t={t}", members))
        return out
    raise TypeError(
        f"group must be a list of the tensors each step produced (in step order) or a dict {{tensor: label}}, "
        f"got {type(group).__name__}"
    )


def _assign_steps(steps: list) -> dict:
    """Map id(node) -> step index for every node that exactly one step reaches.

    The walk back from a step's tensors stops at leaves' parents (there are none) and at the tensors of
    the other steps, so step t collects what was computed between a<t-1> and a<t>.
    """
    boundary: dict = {}
    for k, (_, members) in enumerate(steps):
        for m in members:
            boundary[id(m)] = k
    owner: dict = {}
    shared: set = set()

    def claim(key: int, k: int) -> None:
        if key in shared:
            return
        if key in owner and owner[key] != k:
            del owner[key]
            shared.add(key)
        else:
            owner[key] = k

    for k, (_, members) in enumerate(steps):
        seen: set = set()
        stack = list(members)
        while stack:
            t = stack.pop()
            if id(t) in seen:
                continue
            seen.add(id(t))
            claim(id(t), k)
            ctx = t.grad_fn
            if ctx is None:
                continue
            if id(ctx) not in seen:
                seen.add(id(ctx))
                claim(id(ctx), k)
            for p in ctx.parents:
                if isinstance(p, Tensor) and boundary.get(id(p), k) == k:
                    stack.append(p)
    return owner


# ------------------------------------------------------------------------------------------------
# DOT text
# ------------------------------------------------------------------------------------------------


def _quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def _tensor_label(t: Tensor, names: dict, show_grad: bool) -> str:
    lines = []
    if id(t) in names:
        lines.append(names[id(t)])
    if t.grad_fn is not None and t.grad_fn.num_outputs > 1:
        lines.append(f"output {t.output_nr}")
    lines.append(f"{tuple(t.shape)} {t.dtype}")
    lines.append(f"requires_grad={t.requires_grad}")
    if show_grad and t.grad is not None:
        lines.append(f"|grad| = {float(np.linalg.norm(t.grad)):.4g}")
    return "\n".join(lines)


def _constant_label(value: Any) -> str:
    text = repr(value.tolist() if isinstance(value, np.ndarray) and value.size <= 4 else value)
    if isinstance(value, np.ndarray) and value.size > 4:
        text = f"array{value.shape}"
    return text if len(text) <= 24 else text[:21] + "..."


def _names(names: Any) -> dict:
    """id(tensor) -> name, from a ``{name: tensor}`` dict or a Module (its named parameters)."""
    if names is None:
        return {}
    if hasattr(names, "named_parameters"):
        names = dict(names.named_parameters())
    return {id(t): str(n) for n, t in names.items()}


def to_dot(
    tensor: Tensor,
    show_grad: bool = True,
    group: Sequence | Mapping | None = None,
    max_nodes: int | None = 500,
    names: Mapping[str, Tensor] | Any = None,
    show_constants: bool = False,
    rankdir: str = "LR",
) -> str:
    """The graph that computed ``tensor``, as Graphviz DOT text.

    Args:
        tensor: the output to draw the graph of (usually the loss).
        show_grad: add ``|grad|``, the norm of ``.grad``, to the tensors that have one (leaves after
            ``backward()``, and tensors that called ``retain_grad()``).
        group: draw each time step of a cell loop in its own box: a list of what each step produced
            (``[a1, a2, ...]``, or ``[(a1, c1), ...]`` for an LSTM), labelled ``t=1``, ``t=2``, ...; or a
            dict ``{tensor: label}``. See the module docstring for which nodes go in which box.
        max_nodes: draw at most this many tensors and ops, nearest the output first (None: all). A
            note ``... more not shown`` marks where the walk stopped.
        names: ``{name: tensor}`` or a Module (its parameter names) to label tensors with.
        show_constants: draw the non-tensor arguments of ops (axes, shapes, scalars) as small text nodes.
        rankdir: Graphviz layout direction: "LR" (left to right, time runs across) or "TB".

    Returns:
        The DOT text: ``digraph minigrad { ... }``. Tensor nodes are ``t0, t1, ...``, op nodes
        ``op0, op1, ...``; edges go from inputs to their op and from an op to its outputs.
    """
    if not isinstance(tensor, Tensor):
        raise TypeError(f"to_dot draws the graph of a minigrad Tensor, got {type(tensor).__name__}")
    tensors, ops, truncated = graph_nodes(tensor, max_nodes)
    label_of = _names(names)
    tid = {id(t): f"t{i}" for i, t in enumerate(tensors)}
    oid = {id(ctx): f"op{i}" for i, ctx in enumerate(ops)}
    steps = _steps(group)
    owner = _assign_steps(steps) if steps else {}

    node_lines: dict = {}  # node id -> its declaration
    for t in tensors:
        if t is tensor:
            fill = "palegreen"
        elif t.grad_fn is None and t.requires_grad:
            fill = "lightblue"
        else:
            fill = "white"
        attrs = f"shape=box, style=filled, fillcolor={fill}, label={_quote(_tensor_label(t, label_of, show_grad))}"
        node_lines[tid[id(t)]] = f"{tid[id(t)]} [{attrs}]"
    for ctx in ops:
        attrs = f"shape=ellipse, style=filled, fillcolor=lightgrey, label={_quote(type(ctx).name())}"
        node_lines[oid[id(ctx)]] = f"{oid[id(ctx)]} [{attrs}]"

    edges = []
    constants = []
    frontier = []  # nodes whose inputs were not drawn (max_nodes)
    outputs_of: dict = {}
    for t in tensors:
        if t.grad_fn is not None:
            if id(t.grad_fn) in oid:
                outputs_of.setdefault(id(t.grad_fn), []).append(t)
            else:
                frontier.append(tid[id(t)])
    for ctx in ops:
        op = oid[id(ctx)]
        cut = False
        for k, p in enumerate(ctx.parents):
            if isinstance(p, Tensor):
                if id(p) in tid:
                    edges.append(f"{tid[id(p)]} -> {op}")
                else:
                    cut = True
            elif show_constants and p is not None:
                name = f"{op}_c{k}"
                constants.append(f"{name} [shape=plaintext, fontsize=9, label={_quote(_constant_label(p))}]")
                edges.append(f"{name} -> {op} [style=dotted, arrowsize=0.5]")
        if cut:
            frontier.append(op)
        for out in outputs_of.get(id(ctx), []):
            edges.append(f"{op} -> {tid[id(out)]}")

    lines = [
        "digraph minigrad {",
        f"  rankdir={rankdir};",
        '  node [fontname="Helvetica", fontsize=10];',
        '  edge [fontname="Helvetica"];',
    ]
    grouped: dict = {}
    for node in list(tid.items()) + list(oid.items()):
        k = owner.get(node[0])
        if k is not None:
            grouped.setdefault(k, []).append(node[1])
    for k, (label, _) in enumerate(steps):
        lines.append(f"  subgraph cluster_{k} {{")
        lines.append(f"    label={_quote(label)}; style=rounded; color=grey50;")
        lines += [f"    {node_lines.pop(n)};" for n in grouped.get(k, [])]
        lines.append("  }")
    lines += [f"  {decl};" for decl in node_lines.values()]
    lines += [f"  {decl};" for decl in constants]
    if truncated:
        shown = len(tensors) + len(ops)
        note = f"... more not shown\n(max_nodes={max_nodes}; {shown} drawn)"
        lines.append(f"  more [shape=note, label={_quote(note)}];")
        edges += [f"more -> {node} [style=dashed]" for node in frontier]
    lines += [f"  {e};" for e in edges]
    lines.append("}")
    return "\n".join(lines) + "\n"


# ------------------------------------------------------------------------------------------------
# Rendering
# ------------------------------------------------------------------------------------------------


def render(tensor: Tensor, path: str | Path, **kwargs: Any) -> Path:
    """Draw the graph of ``tensor`` to ``path``: an image by the path's suffix (.svg, .png, .pdf), or .dot.

    The image is made with the ``graphviz`` package and its ``dot`` program. When either is missing,
    the DOT text is written next to ``path`` (same name, suffix ``.dot``) and a message says how to
    render it (``dot -Tpng graph.dot -o graph.png``).

    Args:
        tensor: the output to draw the graph of.
        path: where to write; the suffix picks the format.
        **kwargs: passed to ``to_dot`` (``group=``, ``names=``, ``max_nodes=``, ...).

    Returns:
        The path written: ``path`` itself, or the ``.dot`` file of the fallback.
    """
    path = Path(path)
    dot = to_dot(tensor, **kwargs)
    fmt = _FORMATS.get(path.suffix.lower())
    if fmt is None:
        if path.suffix.lower() not in (".dot", ".gv"):
            raise ValueError(f"render: unknown suffix {path.suffix!r}; use .svg, .png, .pdf or .dot")
        path.write_text(dot)
        return path
    image, reason = _pipe(dot, fmt)
    if image is not None:
        path.write_bytes(image)
        return path
    fallback = path.with_suffix(".dot")
    fallback.write_text(dot)
    print(f"{reason}.\nWrote {fallback} instead; render it with:\n  dot -T{fmt} {fallback} -o {path}")
    return fallback


def _pipe(dot: str, fmt: str) -> tuple[bytes | None, str | None]:
    """``(image, None)`` made by Graphviz, or ``(None, why not)`` when its package or program is missing."""
    try:
        import graphviz

        return graphviz.Source(dot).pipe(format=fmt), None
    except ImportError:
        return None, 'the graphviz package is not installed (pip install "minigrad[viz]")'
    except Exception as error:  # graphviz.ExecutableNotFound, or dot failing
        return None, f"Graphviz's dot program did not run ({type(error).__name__}: {error})"


# ------------------------------------------------------------------------------------------------
# In a notebook
# ------------------------------------------------------------------------------------------------


class Graph:
    """A recorded graph that displays itself in Jupyter: a picture where Graphviz is installed, else its DOT text.

    ``draw_dot(loss)`` makes one; as the last expression of a cell it is drawn inline, as micrograd's
    ``draw_dot`` is. ``graph.source`` is the DOT text; ``str(graph)`` too.
    """

    def __init__(self, source: str) -> None:
        self.source = source

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict:
        """What Jupyter displays: SVG made by Graphviz, or the DOT text (with how to get the picture)."""
        svg, reason = _pipe(self.source, "svg")
        if svg is not None:
            return {"image/svg+xml": svg.decode("utf-8"), "text/plain": self.source}
        return {"text/plain": f"{self.source}\n// {reason}: this is the graph's DOT text"}

    def __str__(self) -> str:
        return self.source

    def __repr__(self) -> str:
        return f"<minigrad.viz.Graph: {self.source.count(' -> ')} edges; display it in a notebook or print .source>"


def draw_dot(tensor: Tensor, **kwargs: Any) -> Graph:
    """The graph of ``tensor`` as a ``Graph``, drawn inline when it is the last expression of a notebook cell.

    Takes ``to_dot``'s options (``group=``, ``names=``, ``max_nodes=``, ...). In a notebook::

        from minigrad.viz import draw_dot
        draw_dot(loss)                       # the picture (SVG) with Graphviz, else the DOT text
    """
    return Graph(to_dot(tensor, **kwargs))
