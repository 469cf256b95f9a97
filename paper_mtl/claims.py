"""A paper's claim as a library object: the sentence it makes, the published evidence, and checks that carry a verdict.

Each experiment module builds its claims (:class:`Claim`) from numbers: ours (mean ± s.e. over seeds where models
were trained) and the paper's (read from :mod:`paper_mtl.published`, never typed into a notebook). A claim's checks
(:class:`Check`) are of three kinds:

- **decisive** — what the paper's sentence asserts (e.g. "SE+A beats the multi-task baseline on NYUD");
- **supporting** — what the sentence does not assert but the paper's account implies;
- **sanity** — holds by construction (e.g. a discriminator dropped at inference costs nothing): shown, never counted.

Every check is oriented so that it *holds* when its ``effect`` exceeds its ``margin``. Its state is

- ``holds`` — the whole 95 % interval of the effect lies above the margin (or, for a check on exact numbers, the
  effect does);
- ``fails`` — the whole interval lies at or below the margin (beyond noise against the claim);
- ``within noise`` — the interval straddles the margin, or no noise estimate exists (one seed of a trained model), or
  the two sides of a paired comparison are tied (a difference of exactly the margin on every seed: the same models on
  both sides, which is no evidence either way).

A check on a correlation over few points (or a perfect one) carries exact permutation p-values instead of an
interval: it holds when the one-sided p for the claimed sign is below 2.5 %, fails when that for the opposite sign is.

The verdict (:data:`RULE`, also the ledger's header) groups decisive checks by what the paper names (dataset, pair,
backbone; ``group``); a group holds when all its decisive checks hold and fails when any fails:

- ``reproduced`` — every group holds and no supporting check fails;
- ``partly`` — some groups hold while others fail or are within noise (the evidence says which fraction), or every
  group holds while a supporting check fails;
- ``not reproduced`` — no group holds and at least one fails;
- ``inconclusive`` — no group holds or fails: each group has a decisive check within noise and none that fails
  (some of its checks may hold);
- ``not testable here`` — nothing decisive could be measured (:meth:`Claim.untestable` says why).

An *audit* (``Claim(audit=True)``) checks a paper's numbers against each other (its text against its own tables), not
against ours; its verdict is ``consistent``, ``partly consistent`` or ``inconsistent`` by the same rule, counted apart
from the reproductions.

Intervals: a paired comparison of trained models (:meth:`Check.paired`) uses the per-seed differences and Student's
t (a paired t-test at 5 %); a proportion (:meth:`Check.proportion`) the exact binomial interval against its chance
rate; a correlation (:meth:`Check.correlation`) Fisher's z interval (exact permutation p-values for 8 points or fewer,
or a perfect correlation); a statistic of dependent points (e.g. many pairs that reuse the same networks) a
percentile bootstrap that resamples the independent units (:meth:`Check.bootstrap`).
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from typing import TypeVar

import numpy as np
import pandas as pd
from scipy import stats

DECISIVE, SUPPORTING, SANITY = "decisive", "supporting", "sanity"
KINDS = (DECISIVE, SUPPORTING, SANITY)
HOLDS, FAILS, WITHIN_NOISE = "holds", "fails", "within noise"
STATES = (HOLDS, FAILS, WITHIN_NOISE)

REPRODUCED = "reproduced"
PARTLY = "partly"
NOT_REPRODUCED = "not reproduced"
INCONCLUSIVE = "inconclusive"
NOT_TESTABLE = "not testable here"
CONSISTENT = "consistent"
PARTLY_CONSISTENT = "partly consistent"
INCONSISTENT = "inconsistent"
REPRODUCTION_VERDICTS = (REPRODUCED, PARTLY, NOT_REPRODUCED, INCONCLUSIVE, NOT_TESTABLE)
AUDIT_VERDICT_NAMES = (CONSISTENT, PARTLY_CONSISTENT, INCONSISTENT)
VERDICTS = REPRODUCTION_VERDICTS + AUDIT_VERDICT_NAMES
AUDIT_VERDICTS = {REPRODUCED: CONSISTENT, PARTLY: PARTLY_CONSISTENT, NOT_REPRODUCED: INCONSISTENT}
CONFIDENCE = 0.95
EXACT_PERMUTATION_POINTS = 8  # correlations over at most this many points are tested on all n! orderings
BOOTSTRAP_RESAMPLES = 1999
BOOTSTRAP_MIN_UNITS = 8
"""Fewer independent units than this give a percentile bootstrap that holds whenever they all agree (3 seeds that
agree do so by chance once in 4); compare per-unit effects with :meth:`Check.paired` (Student's t) instead."""
T = TypeVar("T")

RULE = (
    "A claim's checks are *decisive* (what the paper's sentence asserts), *supporting* (implied by the paper's "
    "account) or *sanity* (true by construction; shown, never counted). A check holds when its 95% interval lies "
    "beyond the margin it needs (paired t over seeds for trained models, exact binomial for counts, Fisher's z for "
    "correlations, exact permutation tests for correlations over 8 points or fewer, a bootstrap over the independent "
    "units, e.g. networks, where points share them), fails when the interval lies on the other side, and is within "
    "noise otherwise (one seed gives no interval; a tie, the same models on both sides, is no evidence). Decisive checks are grouped by what the paper names (dataset, pair, backbone). **reproduced**: every "
    "group holds and no supporting check fails; **partly**: some groups hold while others fail or are within noise "
    "(the fraction is given), or all hold while a supporting check fails; **not reproduced**: no group holds and one "
    "fails; **inconclusive**: no group holds or fails (in each, a decisive check is within noise and none fails); "
    "**not testable here**: nothing decisive could be measured. *Audits* check a paper's text against its own tables "
    "and read **consistent**, **partly consistent** or **inconsistent** by the same rule; they are counted apart from "
    "the reproductions."
)


def _check_kind(kind: str) -> str:
    if kind not in KINDS:
        raise ValueError(f"unknown check kind {kind!r}; expected one of {KINDS}")
    return kind


def _values(name: str, values: Sequence[float] | np.ndarray | float) -> np.ndarray:
    array = np.atleast_1d(np.asarray(values, dtype=float))
    if array.ndim != 1 or array.size == 0 or not np.isfinite(array).all():
        raise ValueError(f"{name} must be a non-empty 1-D sequence of finite numbers, got {values!r}")
    return array


def mean_se(values: Sequence[float] | np.ndarray | float) -> tuple[float, float]:
    """Mean and standard error of ``values`` (s.e. NaN for a single value)."""
    array = _values("values", values)
    se = float(array.std(ddof=1) / math.sqrt(array.size)) if array.size > 1 else float("nan")
    return float(array.mean()), se


def format_mean_se(values: Sequence[float] | np.ndarray | float, digits: int = 4) -> str:
    """``"0.1234 ± 0.0012"`` (``"0.1234"`` for one value, ``"0.2 ± 0"`` for values equal up to rounding): how our
    columns show numbers over seeds."""
    mean, se = mean_se(values)
    if math.isnan(se):
        return f"{mean:.{digits}g}"
    return f"{mean:.{digits}g} ± {0 if se <= 1e-12 * max(1.0, abs(mean)) else se:.2g}"


def seed_list(seed: int, n: int) -> list[int]:
    """The ``n`` seeds a comparison is paired over: ``seed, seed + 1, ...``."""
    if not isinstance(n, int) or n < 1:
        raise ValueError(f"the number of seeds must be a positive integer, got {n!r}")
    return [seed + i for i in range(n)]


@dataclass(frozen=True)
class Check:
    """One check of a claim: ``effect`` and its 95 % interval (``low``, ``high``; ``None`` for exact numbers), oriented
    so that the check holds when the effect exceeds ``margin``. ``detail`` shows the numbers it was computed from;
    ``noisy`` marks a check on trained models, which needs an interval to hold or fail."""

    name: str
    effect: float
    margin: float = 0.0
    low: float | None = None
    high: float | None = None
    kind: str = DECISIVE
    group: str | None = None
    detail: str = ""
    noisy: bool = False
    n: int = 1
    p_for: float | None = None
    p_against: float | None = None

    def __post_init__(self) -> None:
        _check_kind(self.kind)
        if (self.low is None) != (self.high is None):
            raise ValueError(f"check {self.name!r}: give both ends of the interval or neither")
        if not math.isfinite(self.effect):
            raise ValueError(f"check {self.name!r}: the effect must be a finite number, got {self.effect!r}")
        if (self.p_for is None) != (self.p_against is None) or (self.p_for is not None and self.low is not None):
            raise ValueError(f"check {self.name!r}: give both one-sided p-values or an interval, not both")

    @property
    def state(self) -> str:
        """``holds``, ``fails`` or ``within noise`` (see the module docstring)."""
        if self.p_for is not None:
            alpha = (1 - CONFIDENCE) / 2
            return HOLDS if self.p_for < alpha else FAILS if self.p_against < alpha else WITHIN_NOISE
        if self.low is None:
            if self.noisy:
                return WITHIN_NOISE
            return HOLDS if self.effect > self.margin else FAILS
        if self.low > self.margin:
            return HOLDS
        if self.noisy and self.low == self.high == self.effect == self.margin:
            return WITHIN_NOISE  # a tie: the same models on both sides
        if self.high <= self.margin:
            return FAILS
        return WITHIN_NOISE

    def as_kind(self, kind: str, group: str | None = None) -> Check:
        """This check as another kind (and group)."""
        return replace(self, kind=_check_kind(kind), group=group if group is not None else self.group)

    # -- constructors -------------------------------------------------------------------------------------------

    @classmethod
    def exact(cls, name: str, value: float, bound: float, *, above: bool = True, kind: str = DECISIVE,
              group: str | None = None, detail: str = "") -> Check:
        """A check on numbers without seed noise (published tables, counts, closed forms): ``value > bound``
        (``above``) or ``value < bound``."""
        effect = value - bound if above else bound - value
        detail = detail or f"{value:.4g} {'>' if above else '<'} {bound:.4g}"
        return cls(name, float(effect), 0.0, kind=kind, group=group, detail=detail)

    @classmethod
    def truth(cls, name: str, holds: bool, *, kind: str = DECISIVE, group: str | None = None, detail: str = "") -> Check:
        """A check on exact numbers that is true or false (e.g. "the same grouping as Table 6")."""
        return cls(name, 1.0 if holds else -1.0, 0.0, kind=kind, group=group, detail=detail or str(bool(holds)))

    @classmethod
    def paired(cls, name: str, ours: Sequence[float] | float, baseline: Sequence[float] | float, *,
               better: str = "higher", margin: float = 0.0, kind: str = DECISIVE, group: str | None = None,
               digits: int = 4, comparisons: int = 1) -> Check:
        """``ours`` beats ``baseline`` by more than ``margin``, paired by seed (``ours[i]`` and ``baseline[i]`` come
        from the same seed); ``better`` is ``"higher"`` or ``"lower"`` (which direction of the metric is better).
        The interval is Student's t over the per-seed differences; one seed gives none (within noise). When the
        check is one of ``comparisons`` alike whose any success would carry a verdict, its interval is widened to the
        Bonferroni level 1 − 0.05/comparisons, so that chance alone rarely makes one of them hold or fail."""
        if better not in ("higher", "lower"):
            raise ValueError(f"better must be 'higher' or 'lower', got {better!r}")
        if not (isinstance(comparisons, int) and comparisons >= 1):
            raise ValueError(f"comparisons must be an integer >= 1, got {comparisons!r}")
        a, b = _values(f"{name}: ours", ours), _values(f"{name}: baseline", baseline)
        if a.shape != b.shape:
            raise ValueError(f"check {name!r}: ours and baseline are paired by seed, got {a.size} and {b.size} values")
        diff = (a - b) if better == "higher" else (b - a)
        low = high = None
        level = 1 - (1 - CONFIDENCE) / comparisons
        if diff.size > 1:
            half = stats.t.ppf(0.5 + level / 2, diff.size - 1) * diff.std(ddof=1) / math.sqrt(diff.size)
            low, high = float(diff.mean() - half), float(diff.mean() + half)
        detail = f"{format_mean_se(a, digits)} vs {format_mean_se(b, digits)} ({better} is better; n={a.size})"
        if comparisons > 1:
            detail += f"; Bonferroni over {comparisons} comparisons"
        if diff.size > 1 and np.all(diff == margin):
            detail += "; a tie on every seed"
        return cls(name, float(diff.mean()), margin, low, high, kind, group, detail, noisy=True, n=int(a.size))

    @classmethod
    def within(cls, name: str, ours: Sequence[float] | float, baseline: Sequence[float] | float, *,
               tolerance: float, kind: str = DECISIVE, group: str | None = None, digits: int = 4) -> Check:
        """``ours`` and ``baseline`` (paired by seed) differ by less than ``tolerance``: the effect is
        ``tolerance - |mean difference|``, its interval from the t interval of the difference."""
        a, b = _values(f"{name}: ours", ours), _values(f"{name}: baseline", baseline)
        if a.shape != b.shape:
            raise ValueError(f"check {name!r}: ours and baseline are paired by seed, got {a.size} and {b.size} values")
        if not tolerance > 0:
            raise ValueError(f"check {name!r}: tolerance must be positive, got {tolerance!r}")
        diff = a - b
        effect = tolerance - abs(float(diff.mean()))
        low = high = None
        if diff.size > 1:
            half = stats.t.ppf(0.5 + CONFIDENCE / 2, diff.size - 1) * diff.std(ddof=1) / math.sqrt(diff.size)
            lo, hi = float(diff.mean() - half), float(diff.mean() + half)
            low = tolerance - max(abs(lo), abs(hi))
            high = tolerance - (0.0 if lo <= 0 <= hi else min(abs(lo), abs(hi)))
        detail = f"{format_mean_se(a, digits)} vs {format_mean_se(b, digits)} (within ±{tolerance:g}; n={a.size})"
        return cls(name, effect, 0.0, low, high, kind, group, detail, noisy=True, n=int(a.size))

    @classmethod
    def proportion(cls, name: str, successes: int, trials: int, *, chance: float, kind: str = DECISIVE,
                   group: str | None = None) -> Check:
        """``successes`` of ``trials`` is a rate above ``chance`` (exact binomial interval of the rate)."""
        if not 0 <= successes <= trials or trials < 1:
            raise ValueError(f"check {name!r}: need 0 <= successes <= trials and trials >= 1, got {successes}/{trials}")
        if not 0 <= chance < 1:
            raise ValueError(f"check {name!r}: chance must be in [0, 1), got {chance!r}")
        ci = stats.binomtest(int(successes), int(trials)).proportion_ci(CONFIDENCE)
        rate = successes / trials
        detail = f"{successes}/{trials} = {rate:.2f} vs chance {chance:.2f}"
        return cls(name, rate, chance, float(ci.low), float(ci.high), kind, group, detail, noisy=True, n=int(trials))

    @classmethod
    def correlation(cls, name: str, x: Sequence[float], y: Sequence[float], *, sign: int, method: str = "pearson",
                    kind: str = DECISIVE, group: str | None = None) -> Check:
        """``x`` and ``y`` correlate with ``sign`` (+1 or -1), by Pearson's r or Spearman's ρ. Over more than
        :data:`EXACT_PERMUTATION_POINTS` points, a Fisher z interval (standard error 1/sqrt(n-3), 1.03/sqrt(n-3) for
        ρ); over fewer, or for a perfect correlation (where z is infinite), exact one-sided permutation p-values
        over every ordering of ``y`` (:func:`scipy.stats.permutation_test`)."""
        if sign not in (1, -1):
            raise ValueError(f"sign must be +1 or -1, got {sign!r}")
        if method not in ("pearson", "spearman"):
            raise ValueError(f"method must be 'pearson' or 'spearman', got {method!r}")
        a, b = _values(f"{name}: x", x), _values(f"{name}: y", y)
        if a.shape != b.shape or a.size < 3:
            raise ValueError(f"check {name!r}: x and y need the same length, at least 3, got {a.size} and {b.size}")
        if np.ptp(a) == 0 or np.ptp(b) == 0:
            raise ValueError(f"check {name!r}: the correlation is undefined (a constant variable)")

        if method == "spearman":  # Spearman's ρ is Pearson's r of the ranks, which a re-pairing keeps
            a, b = stats.rankdata(a), stats.rankdata(b)

        def pearson(u: np.ndarray, v: np.ndarray, axis: int = -1) -> np.ndarray:
            u = u - u.mean(axis=axis, keepdims=True)
            v = v - v.mean(axis=axis, keepdims=True)
            return (u * v).sum(axis=axis) / np.sqrt((u * u).sum(axis=axis) * (v * v).sum(axis=axis))

        r = float(np.clip(pearson(a, b), -1.0, 1.0))
        symbol = "r" if method == "pearson" else "ρ"
        detail = f"{symbol} = {r:.3f} over {a.size} points (claimed sign {'+' if sign > 0 else '-'})"
        if a.size <= EXACT_PERMUTATION_POINTS or abs(r) >= 1 - 1e-12:
            test = stats.permutation_test((a, b), pearson, permutation_type="pairings", vectorized=True,
                                          alternative="greater" if sign > 0 else "less",
                                          n_resamples=math.factorial(EXACT_PERMUTATION_POINTS),
                                          rng=np.random.default_rng(0))
            null = sign * np.asarray(test.null_distribution)
            extra = 0 if math.factorial(a.size) <= null.size else 1  # a random sample of orderings counts the data's
            p_for = float((np.sum(null >= sign * r - 1e-12) + extra) / (null.size + extra))
            p_against = float((np.sum(null <= sign * r + 1e-12) + extra) / (null.size + extra))
            detail += f"; permutation p = {p_for:.3g} (claimed sign), {p_against:.3g} (opposite)"
            return cls(name, sign * r, 0.0, None, None, kind, group, detail, noisy=True, n=int(a.size),
                       p_for=p_for, p_against=p_against)
        half = stats.norm.ppf(0.5 + CONFIDENCE / 2) * (1.0 if method == "pearson" else 1.03) / math.sqrt(a.size - 3)
        z = math.atanh(r)
        low, high = sorted((sign * math.tanh(z - half), sign * math.tanh(z + half)))
        return cls(name, sign * r, 0.0, low, high, kind, group, detail, noisy=True, n=int(a.size))

    @classmethod
    def bootstrap(cls, name: str, statistic: Callable[[Sequence[T]], float], units: Sequence[T], *,
                  margin: float = 0.0, kind: str = DECISIVE, group: str | None = None, detail: str = "",
                  seed: int = 0) -> Check:
        """``statistic(units)`` exceeds ``margin``, with a 95 % percentile interval from :data:`BOOTSTRAP_RESAMPLES`
        resamples of the independent ``units`` with replacement (a cluster bootstrap: e.g. the networks that many
        pairs share, or the seeds). ``statistic`` receives a list of units (repeats included) and returns the effect;
        ``seed`` fixes the resamples."""
        units = list(units)
        if len(units) < BOOTSTRAP_MIN_UNITS:
            raise ValueError(f"check {name!r}: a bootstrap needs at least {BOOTSTRAP_MIN_UNITS} independent units, got "
                             f"{len(units)}; over fewer, compare per-unit effects with Check.paired (Student's t)")
        effect = float(statistic(units))
        if not math.isfinite(effect):
            raise ValueError(f"check {name!r}: the statistic of the units is not finite ({effect!r})")
        rng = np.random.default_rng(seed)
        draws = rng.integers(0, len(units), size=(BOOTSTRAP_RESAMPLES, len(units)))
        values = np.array([statistic([units[i] for i in row]) for row in draws], dtype=float)
        values = values[np.isfinite(values)]
        if values.size < BOOTSTRAP_RESAMPLES // 2:
            raise ValueError(f"check {name!r}: the statistic is undefined on most resamples of the {len(units)} units")
        alpha = (1 - CONFIDENCE) / 2
        low, high = (float(v) for v in np.quantile(values, [alpha, 1 - alpha]))
        detail = (detail + "; " if detail else "") + f"bootstrap over {len(units)} units"
        return cls(name, effect, margin, min(low, effect), max(high, effect), kind, group, detail, noisy=True,
                   n=len(units))

    def row(self) -> dict[str, object]:
        interval = "" if self.low is None else f"[{self.low:.3g}, {self.high:.3g}]"
        if self.p_for is not None:
            interval = f"p = {self.p_for:.3g} (permutation)"
        return {"check": self.name, "kind": self.kind, "group": self.group or "", "numbers": self.detail,
                "effect": round(self.effect, 6), "95% interval": interval, "needs": f"> {self.margin:g}",
                "state": self.state}


@dataclass
class Claim:
    """A claim of a paper and our evidence for it.

    ``label`` names it in the ledger (short, e.g. ``"Table 3(d): adversarial training reduces the drop"``);
    ``sentence`` quotes the paper; ``published`` is the paper's evidence as text (computed from
    :mod:`paper_mtl.published` where the paper prints numbers); ``ours`` summarises our numbers; ``checks`` carry
    the verdict (:data:`RULE`). ``reason`` says why a claim is not testable here (then ``checks`` may be empty)."""

    label: str
    sentence: str
    published: str
    ours: str
    checks: list[Check] = field(default_factory=list)
    reason: str = ""
    audit: bool = False

    def __post_init__(self) -> None:
        for text, what in ((self.label, "label"), (self.sentence, "sentence"), (self.published, "published")):
            if not isinstance(text, str) or not text.strip():
                raise ValueError(f"a claim needs a non-empty {what}, got {text!r}")
        names = [c.name for c in self.checks]
        if len(set(names)) != len(names):
            raise ValueError(f"claim {self.label!r}: check names must be distinct, got {names}")

    @classmethod
    def untestable(cls, label: str, sentence: str, published: str, reason: str) -> Claim:
        """A claim this project cannot test, and why."""
        if not reason.strip():
            raise ValueError(f"claim {label!r}: say why it is not testable here")
        return cls(label, sentence, published, ours=f"not testable here: {reason}", reason=reason)

    def of_kind(self, kind: str) -> list[Check]:
        return [c for c in self.checks if c.kind == _check_kind(kind)]

    def groups(self) -> dict[str, str]:
        """The state of each group of decisive checks (``""`` names the checks without a group, ``"other"`` when
        some checks have groups)."""
        decisive = self.of_kind(DECISIVE)
        default = "other" if any(c.group for c in decisive) else ""
        states: dict[str, list[str]] = {}
        for check in decisive:
            states.setdefault(check.group or default, []).append(check.state)
        return {g: FAILS if FAILS in s else HOLDS if all(x == HOLDS for x in s) else WITHIN_NOISE for g, s in states.items()}

    @property
    def verdict(self) -> str:
        """The verdict by :data:`RULE`."""
        groups = self.groups()
        if not groups:
            if not self.reason:
                raise ValueError(f"claim {self.label!r} has no decisive check; give one, or build it with untestable()")
            return NOT_TESTABLE
        held = sum(s == HOLDS for s in groups.values())
        failed = sum(s == FAILS for s in groups.values())
        if held == len(groups):
            verdict = PARTLY if any(c.state == FAILS for c in self.of_kind(SUPPORTING)) else REPRODUCED
        elif held:
            verdict = PARTLY
        else:
            verdict = NOT_REPRODUCED if failed else INCONCLUSIVE
        return AUDIT_VERDICTS.get(verdict, verdict) if self.audit else verdict

    def summary(self) -> str:
        """The checks' outcome in one line, e.g. ``decisive 2/3 groups hold (fails: pascal); supporting 1/1``."""
        if not self.checks:
            return ""
        groups = self.groups()
        parts = []
        if groups:
            named = [g for g in groups if g]
            unit = "groups" if named else "checks"
            counted = groups if named else {c.name: c.state for c in self.of_kind(DECISIVE)}
            text = f"decisive: {sum(s == HOLDS for s in counted.values())}/{len(counted)} {unit} hold"
            for state in (FAILS, WITHIN_NOISE):
                which = [g for g, s in counted.items() if s == state]
                if which:
                    text += f"; {state}: {', '.join(which)}"
            parts.append(text)
        support = self.of_kind(SUPPORTING)
        if support:
            parts.append(f"supporting: {sum(c.state == HOLDS for c in support)}/{len(support)} hold")
        return "; ".join(parts)

    def evidence(self) -> str:
        """Our evidence as the ledger shows it: the numbers, then the checks' outcome."""
        return "; ".join(p for p in (self.ours, self.summary()) if p)

    def checks_table(self) -> pd.DataFrame:
        """One row per check: name, kind, group, numbers, effect, 95 % interval, margin needed, state."""
        columns = ["check", "kind", "group", "numbers", "effect", "95% interval", "needs", "state"]
        return pd.DataFrame([c.row() for c in self.checks], columns=columns)

    def _repr_html_(self) -> str:
        return claim_html(self)


_COLOURS = {REPRODUCED: "#c8e6c9", PARTLY: "#fff3c4", NOT_REPRODUCED: "#ffcdd2", INCONCLUSIVE: "#e0e0e0",
            NOT_TESTABLE: "#eeeeee", CONSISTENT: "#c8e6c9", PARTLY_CONSISTENT: "#fff3c4", INCONSISTENT: "#ffcdd2", HOLDS: "#c8e6c9", FAILS: "#ffcdd2", WITHIN_NOISE: "#e0e0e0"}


def colour(value: object) -> str:
    """The CSS background of a verdict or check state (empty for anything else): one palette for every notebook."""
    return f"background-color: {_COLOURS[value]}" if value in _COLOURS else ""


def anchor(label: str) -> str:
    """The HTML id of a claim's output in a rendered notebook: ``claim-`` and the label's words, lower case, joined by
    ``-`` (the report's ledger links to it)."""
    return "claim-" + "-".join(re.findall(r"[a-z0-9]+", label.lower()))


def claim_html(claim: Claim) -> str:
    """A claim as notebooks show it: the paper's sentence, published evidence, ours and the verdict (coloured),
    then its checks with their states, in a ``<div>`` whose id is :func:`anchor` of the label."""
    head = pd.DataFrame({"": [claim.sentence, claim.published, claim.evidence(), claim.verdict]},
                        index=["the paper says", "published", "ours", "verdict"])
    uuid = anchor(claim.label)  # fixed Styler ids, so a notebook's outputs are the same from run to run
    styled = head.style.set_uuid(f"{uuid}-head").set_caption(claim.label).map(colour)
    html = styled.set_properties(**{"text-align": "left"}).to_html()
    if claim.checks:
        html += claim.checks_table().style.set_uuid(f"{uuid}-checks").map(colour, subset=["state"]).hide(
            axis="index").format({"effect": "{:.4g}"}).to_html()
    return f'<div id="{uuid}">{html}</div>'
