"""The forward pass with symbolic sizes: one cell, or T steps, in matrix notation.

The same equations as :mod:`.forward`, for every member of the family
(:class:`lstm_ref.LSTMConfig`), but with the sizes H, D (and V for a head) as
SymPy symbols, integers ≥ 1, and every quantity a matrix expression:

    z_t = [h_{t-1}; x_t]
    a_k = W_k^h h_{t-1} + W_k^x x_t + b_k           (k = f, i, o, g; W_k = [W_k^h  W_k^x])
    a_f += P_f c_{t-1},  a_i += P_i c_{t-1},  a_o += P_o c_t   (peepholes, if any)
    f, i, o = σ(a_f), σ(a_i), σ(a_o),  g = tanh(a_g)
    c_t = f ⊙ c_{t-1} + i ⊙ g      (no forget gate: c_t = c_{t-1} + i ⊙ g)
    h_t = o ⊙ tanh(c_t),   v_t = W_v h_t + b_v    (head)
    J = dh_nextᵀ h_t + dc_nextᵀ c_t (+ softmax cross-entropy of v_t against y)

The leaves are ``MatrixSymbol`` s: the weight blocks ``W_fh`` (H, H), ``W_fx``
(H, D) … (the fused W (4H, H+D) is their ``BlockMatrix``), ``b_f`` …, ``x``,
``h_prev``, ``c_prev``, the upstream ``dh_next``, ``dc_next`` (and ``p_f`` … or
``P_f`` … with peepholes, ``W_v``, ``b_v``, ``y`` with a head). Each is built twice:

* in **atom form**, what hand formulas are written in: the activations are the
  atoms ``f``, ``i``, ``o``, ``g``, ``tanh_c`` (H, 1) (``y_hat`` (V, 1) and the
  scalar ``S`` = Σ_j e^{v_j} with a head), as in :func:`.forward.symbolic_cell`;
* in **function form**, with σ, tanh and exp applied element-wise and a tap τ
  added to the sites asked for (:mod:`.graph`), lowered to index notation
  (:mod:`.lower`): J is then a scalar of sums over symbolic ranges, which
  SymPy differentiates with respect to one entry with symbolic indices.

:meth:`GenericModel.fixed` instantiates the model at concrete sizes as the
fixed-size model of :mod:`.forward` and maps every leaf and atom onto it,
which is how a rejected formula gets its counterexample.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache

import sympy as sp

from lstm_ref.family import LSTMConfig

from .forward import NamesAsAttributes, check_config, check_size, symbolic_cell, symbolic_sequence
from .lower import IndexSum, entry, lower
from .symbols import Sigmoid, Tanh

__all__ = ["H", "D", "V", "GenericModel", "generic_cell", "generic_sequence"]

H, D, V = (sp.Symbol(n, integer=True, positive=True) for n in ("H", "D", "V"))
_CORE = LSTMConfig()


def _apply(fn, A):
    return sp.matrices.expressions.applyfunc.ElementwiseApplyFunction(fn, A)


class _Form:
    """How one build writes activations and sites: atoms, or functions with taps."""

    def __init__(self, atoms: bool, taps=frozenset()):
        self.atoms, self.taps = atoms, taps
        self.ns = {}            # atom form: name -> expression
        self.templates = []     # atom form: (function, argument, value(ι)) per activation
        self.parts = {}         # function form: tapped site -> ((τ block, row offset), …)

    def act(self, fn, arg, name):
        if not self.atoms:
            return _apply(fn, arg)
        atom = sp.MatrixSymbol(name, arg.shape[0], 1)
        self.templates.append((fn, arg, lambda e, a=atom: entry(a, e, 0)))
        return atom

    def tap(self, site, label, *blocks):
        """The site's blocks, each + τ if the site is tapped."""
        if self.atoms or site not in self.taps:
            return blocks if len(blocks) > 1 else blocks[0]
        out, parts, off = [], [], sp.S.Zero
        for n, blk in enumerate(blocks):
            tau = sp.MatrixSymbol(f"τ_{label}" + (f"{n}" if len(blocks) > 1 else ""),
                                  *blk.shape)
            out.append(blk + tau)
            parts.append((tau, off))
            off += blk.shape[0]
        self.parts[site] = tuple(parts)
        return tuple(out) if len(out) > 1 else out[0]


def _site(name, t):
    return name if t is None else (name, t)


def _step(form, P, config, x, h_prev, c_prev, t, sfx):
    """One step in matrix notation (atom or function form); returns its sites."""
    zh, zx = form.tap(_site("z", t), "z" + sfx, h_prev, x)
    affine = [P[f"W_{k}h"] * zh + P[f"W_{k}x"] * zx + P["b_" + k] for k in config.gates]
    affine = form.tap(_site("a", t), "a" + sfx, *affine)
    affine = dict(zip(config.gates, affine if len(config.gates) > 1 else (affine,)))
    s = {}

    def gate(k, c_seen):
        u = affine[k]
        if k in config.peephole_gates:          # a_k += P_k c (diagonal: p_k ⊙ c)
            u = u + (sp.HadamardProduct(P["p_" + k], c_seen) if config.peephole == "diagonal"
                     else P["P_" + k] * c_seen)
        s["a_" + k] = form.tap(_site("a_" + k, t), f"a_{k}{sfx}", u)
        fn = Tanh if k == "g" else Sigmoid
        s[k] = form.tap(_site(k, t), k + sfx, form.act(fn, s["a_" + k], k + sfx))

    for k in config.gates:
        if k != "o":
            gate(k, c_prev)
    kept = sp.HadamardProduct(s["f"], c_prev) if config.forget_gate else c_prev
    s["c"] = form.tap(_site("c", t), "c" + sfx, kept + sp.HadamardProduct(s["i"], s["g"]))
    gate("o", s["c"])
    tc = form.act(Tanh, s["c"], "tanh_c" + sfx)
    s["tanh_c"] = form.tap(_site("tanh_c", t), "tanh_c" + sfx, tc)
    s["h"] = form.tap(_site("h", t), "h" + sfx, sp.HadamardProduct(s["o"], s["tanh_c"]))
    s["z"] = sp.BlockMatrix([[zh], [zx]])
    s["a"] = sp.BlockMatrix([[affine[k]] for k in config.gates])
    return s


def _parameters(config):
    """Leaves of the parameters: per gate W_kh (H, H), W_kx (H, D), b_k; peepholes."""
    P = {}
    for k in config.gates:
        P[f"W_{k}h"] = sp.MatrixSymbol(f"W_{k}h", H, H)
        P[f"W_{k}x"] = sp.MatrixSymbol(f"W_{k}x", H, D)
        P["b_" + k] = sp.MatrixSymbol("b_" + k, H, 1)
    for k in config.peephole_gates:
        name = ("p_" if config.peephole == "diagonal" else "P_") + k
        P[name] = sp.MatrixSymbol(name, H, 1 if config.peephole == "diagonal" else H)
    return P


def _blocks(P, config):
    """The book's groupings of the weight blocks: W_k, W, W_h, W_x, b, p."""
    G = config.gates
    out = {f"W_{k}": sp.BlockMatrix([[P[f"W_{k}h"], P[f"W_{k}x"]]]) for k in G}
    out["W"] = sp.BlockMatrix([[P[f"W_{k}h"], P[f"W_{k}x"]] for k in G])
    out["W_h"] = sp.BlockMatrix([[P[f"W_{k}h"]] for k in G])
    out["W_x"] = sp.BlockMatrix([[P[f"W_{k}x"]] for k in G])
    out["b"] = sp.BlockMatrix([[P["b_" + k]] for k in G])
    if config.peephole != "none":
        pre = "p_" if config.peephole == "diagonal" else "P_"
        out["p"] = sp.BlockMatrix([[P[pre + k]] for k in config.peephole_gates])
    return out


def _head(form, h, y, W_v, b_v):
    """v = W_v h + b_v and the softmax cross-entropy J = −yᵀv + (Σ y) log Σ_j e^{v_j}."""
    v = form.tap("v", "v", W_v * h + b_v)
    if form.atoms:
        y_hat, S = sp.MatrixSymbol("y_hat", V, 1), sp.Symbol("S", positive=True)
        form.templates.append((sp.exp, v, lambda e: entry(y_hat, e, 0) * S))
        form.ns.update(y_hat=y_hat, S=S)
        return v, None
    j = sp.Dummy("j", integer=True)
    lse = sp.log(IndexSum(sp.exp(lower(v, j, 0)), (j, 0, V - 1)))
    total = lower(sp.OneMatrix(1, V) * y, 0, 0)
    return v, -lower(y.T * v, 0, 0) + total * lse


@lru_cache(maxsize=64)
def _build(T, config, head, taps):
    """(atom-form namespace, templates, J in index notation, tapped sites' parts)."""
    out = {}
    for form in (_Form(True), _Form(False, taps)):
        P = _parameters(config)
        L = dict(P)
        if T is None:
            L.update(x=sp.MatrixSymbol("x", D, 1), h_prev=sp.MatrixSymbol("h_prev", H, 1),
                     c_prev=sp.MatrixSymbol("c_prev", H, 1),
                     dh_next=sp.MatrixSymbol("dh_next", H, 1),
                     dc_next=sp.MatrixSymbol("dc_next", H, 1))
            s = _step(form, P, config, L["x"], L["h_prev"], L["c_prev"], None, "")
            J = L["dh_next"].T * s["h"] + L["dc_next"].T * s["c"]
            steps = [s]
        else:
            L.update(h0=sp.MatrixSymbol("h_0", H, 1), c0=sp.MatrixSymbol("c_0", H, 1),
                     dc_T=sp.MatrixSymbol("dc_T", H, 1))
            L["x"] = [sp.MatrixSymbol(f"x_{t + 1}", D, 1) for t in range(T)]
            L["dh"] = [sp.MatrixSymbol(f"dh_{t + 1}", H, 1) for t in range(T)]
            h, c, steps, J = L["h0"], L["c0"], [], sp.ZeroMatrix(1, 1)
            for t in range(T):
                s = _step(form, P, config, L["x"][t], h, c, t, f"_{t + 1}")
                steps.append(s)
                h, c = s["h"], s["c"]
                J = J + L["dh"][t].T * h
            J = J + L["dc_T"].T * c
        J = None if form.atoms else lower(J, 0, 0)     # J is needed in function form only
        if head is not None:
            L.update(W_v=sp.MatrixSymbol("W_v", V, H), b_v=sp.MatrixSymbol("b_v", V, 1),
                     y=sp.MatrixSymbol("y", V, 1))
            steps[0]["v"], J_head = _head(form, steps[0]["h"], L["y"], L["W_v"], L["b_v"])
            J = J if J_head is None else J + J_head
        if form.atoms:
            ns = dict(L, **_blocks(P, config), **form.ns, ones=sp.OneMatrix(H, 1))
            for k in steps[0]:
                ns[k] = steps[0][k] if T is None else [s[k] for s in steps]
            out["atoms"] = (ns, tuple(form.templates))
        else:
            out["function"] = (J, form.parts)
    return out["atoms"] + out["function"]


@dataclass(frozen=True)
class GenericModel(NamesAsAttributes):
    """A cell (``T`` None) or T steps of ``config`` with symbolic sizes H, D (V).

    Attributes by name, as in :class:`.forward.SymbolicCell`: leaves, atoms and
    derived quantities in atom form (``model.f``, ``model.W_f``, ``model.c`` …;
    a sequence has lists ``model.f[t]`` … and ``h0``, ``c0``, ``dh[t]``,
    ``dc_T``). ``model.ones`` is the (H, 1) column of ones.

    Equations
    ---------
    J = dh_nextᵀ h_t + dc_nextᵀ c_t (+ ℓ(v_t, y))         (a cell)
    J = Σ_t dh_tᵀ h_t + dc_Tᵀ c_T                          (T steps)
    """

    T: int | None
    config: LSTMConfig
    head: str | None
    ns: dict = field(repr=False)

    @property
    def sizes(self) -> tuple:
        """The size symbols the model's claims quantify over."""
        return (H, D, V) if self.head else (H, D)

    @property
    def sites(self) -> tuple:
        """The intermediates usable as ``wrt`` (a sequence: with a step, ``("c", 0)``)."""
        base = ("z", "a") + tuple(f"a_{k}" for k in self.config.gates) + self.config.gates \
            + ("c", "tanh_c", "h")
        if self.T is None:
            return base + (("v",) if self.head else ())
        return tuple((s, t) for t in range(self.T) for s in base)

    def build(self, taps=frozenset()):
        """(templates, J in index notation, tapped sites' parts) for a build with ``taps``."""
        ns, templates, J, parts = _build(self.T, self.config, self.head, frozenset(taps))
        return templates, J, parts

    def leaves(self) -> dict:
        """name -> MatrixSymbol of every leaf and atom (and ``S``) of the model."""
        out = {}
        for name, value in self.ns.items():
            for item in (value if isinstance(value, list) else [value]):
                if isinstance(item, (sp.MatrixSymbol, sp.Symbol)):
                    out[item.name] = item
        return out

    def size_symbols(self, sizes: dict) -> dict:
        """``{"H": 2, "D": 1}`` (or keyed by the symbols) -> {H: 2, D: 1}, checked."""
        out = {}
        for k, v in sizes.items():
            sym = k if isinstance(k, sp.Symbol) else {str(s): s for s in self.sizes}.get(k)
            if sym not in self.sizes:
                raise ValueError(f"sizes: expected the sizes {self.sizes}, got {k!r}")
            check_size(str(sym), v, 2 if sym == V else 1)
            out[sym] = v
        missing = [str(s) for s in self.sizes if s not in out]
        if missing:
            raise ValueError(f"sizes: expected values for {', '.join(missing)}, got {sizes}")
        return out

    def at_size(self, expr=None, **sizes):
        """The fixed-size model (:mod:`.forward`) at ``sizes``, and ``expr`` written on it.

        Parameters
        ----------
        expr : sympy.MatrixExpr, optional
            A formula in this model's symbols (a hand formula, or ``model.W``).
        **sizes : int
            ``H=…, D=…`` (and ``V=…`` ≥ 2 with a head).

        Returns
        -------
        (SymbolicCell or SymbolicSequence, sympy.Matrix or None)
            The model ``symbolic_cell(H, D, config=…)`` (or ``symbolic_sequence``)
            and ``expr`` as an explicit Matrix in its leaves and atoms.

        Raises
        ------
        ValueError
            A size missing, unknown or below 1 (V below 2), naming it.

        Equations
        ---------
        M (H, D symbolic) -> M at H = h, D = d, every leaf and atom replaced by
        the fixed-size model's matrix of the same name (W_fh -> W_f[:, :h] …)

        Examples
        --------
        >>> gen = generic_cell()
        >>> cell, W_h = gen.at_size(gen.W_h, H=1, D=2)
        >>> W_h.shape, cell.W.shape
        ((4, 1), (4, 3))
        """
        m, fixed = self.fixed(self.size_symbols(sizes))
        if expr is None:
            return m, None
        if not isinstance(expr, sp.MatrixExpr):
            raise TypeError(f"expr: expected a sympy matrix expression, "
                            f"got {type(expr).__name__}")
        e = expr.xreplace(self.size_symbols(sizes)).xreplace(fixed)
        return m, sp.Matrix(e.doit().as_explicit() if isinstance(e, sp.MatrixExpr) else e)

    def fixed(self, sizes: dict):
        """The fixed-size model at ``sizes`` ({H: 2, D: 1 …}) and the map of leaves onto it.

        Returns
        -------
        (SymbolicCell or SymbolicSequence, dict)
            The dict maps each leaf and atom of this model, at those sizes, to
            the explicit Matrix (or symbol) of the fixed-size model.
        """
        h, d = sizes[H], sizes[D]
        kw = dict(config=self.config)
        if self.head:
            kw.update(head=self.head, V=sizes[V])
        m = (symbolic_cell(h, d, **kw) if self.T is None
             else symbolic_sequence(self.T, h, d, **kw))
        fixed = {}
        for name, leaf in self.leaves().items():
            key = leaf.xreplace(sizes)
            if name.startswith("W_") and name[-1] in "hx" and len(name) == 4:
                block = getattr(m, name[:3])
                fixed[key] = block[:, :h] if name[-1] == "h" else block[:, h:]
            elif name == "S":
                fixed[key] = sp.Symbol("S", positive=True)
            else:
                fixed[key] = self._fixed_value(m, name)
        return m, fixed

    def _fixed_value(self, m, name):
        base, _, t = name.rpartition("_")
        if self.T is not None and t.isdigit() and base not in ("h", "c"):
            return getattr(m, base)[int(t) - 1]          # f_1 -> seq.f[0], x_2 -> seq.x[1]
        if name in ("h_0", "c_0"):
            return getattr(m, name.replace("_", ""))
        return getattr(m, name)


def generic_cell(*, config: LSTMConfig = _CORE, head: str | None = None) -> GenericModel:
    """One LSTM cell of the family with symbolic sizes H, D ≥ 1 (and V with a head).

    Parameters
    ----------
    config : lstm_ref.LSTMConfig
        Which member (peepholes, forget gate); default the core cell of source 000.
    head : {None, "softmax_ce"}
        With ``"softmax_ce"``: v = W_v h + b_v and the cross-entropy against a
        distribution y (V, 1), Σ y = 1 (the chapter's ``head_cell``).

    Returns
    -------
    GenericModel

    Equations
    ---------
    J = dh_nextᵀ h_t + dc_nextᵀ c_t (+ −yᵀv + (Σ_k y_k) log Σ_j e^{v_j})
    """
    check_config(config)
    if head not in (None, "softmax_ce"):
        raise ValueError(f"head: expected None or 'softmax_ce', got {head!r}")
    ns = _build(None, config, head, frozenset())[0]
    return GenericModel(None, config, head, ns)


def generic_sequence(T: int = 2, *, config: LSTMConfig = _CORE) -> GenericModel:
    """T unrolled steps with symbolic sizes, shared W, b (and p), leaves h_0, c_0.

    Parameters
    ----------
    T : int
        Steps (2 is what the course proves; the rest is induction, see the book).
    config : lstm_ref.LSTMConfig

    Returns
    -------
    GenericModel

    Equations
    ---------
    J = Σ_t dh_tᵀ h_t + dc_Tᵀ c_T
    """
    check_size("T", T)
    check_config(config)
    ns = _build(T, config, None, frozenset())[0]
    return GenericModel(T, config, None, ns)
