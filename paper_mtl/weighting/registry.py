"""Strategies by name: :func:`get_strategy` builds one from its registered name and parameters, as torchvision's
``get_model`` builds a network, and :func:`list_strategies` lists the names.

A strategy class joins with the :func:`register` decorator under its ``name`` attribute; importing
:mod:`paper_mtl.weighting` registers the library's own. Experiments and benchmarks build strategies through
:func:`get_strategy`, so a strategy a user registers is usable everywhere a name is, and a strategy's parameters
(:meth:`~paper_mtl.weighting.base.Strategy.get_params`) are what describe it in a sweep's configuration.
"""

from __future__ import annotations

import inspect
from typing import Any, TypeVar

import torch

from paper_mtl.weighting.base import Strategy

S = TypeVar("S", bound=type[Strategy])

_REGISTRY: dict[str, type[Strategy]] = {}


def register(cls: S) -> S:
    """Class decorator: make ``cls`` available as ``get_strategy(cls.name)``; a name can be registered once."""
    if not (isinstance(cls, type) and issubclass(cls, Strategy)):
        raise TypeError(f"only Strategy subclasses can be registered, got {cls!r}")
    name = cls.name
    if name in _REGISTRY and _REGISTRY[name] is not cls:
        raise ValueError(f"a strategy named {name!r} is already registered ({_REGISTRY[name].__qualname__})")
    _REGISTRY[name] = cls
    return cls


def list_strategies() -> list[str]:
    """The registered strategies' names, sorted."""
    return sorted(_REGISTRY)


def get_strategy(name: str, **params: Any) -> Strategy:
    """A new strategy ``name`` built with keyword ``params``; an unknown name or parameter is a ``ValueError`` naming
    what is known."""
    if name not in _REGISTRY:
        raise ValueError(f"unknown strategy {name!r}; registered: {list_strategies()}")
    cls = _REGISTRY[name]
    accepted = cls.param_names()
    unknown = sorted(set(params) - set(accepted))
    if unknown:
        raise ValueError(f"strategy {name!r} takes the parameters {list(accepted)}, not {unknown}")
    missing = [p for p, v in inspect.signature(cls.__init__).parameters.items()
               if p in accepted and v.default is inspect.Parameter.empty and p not in params]
    if missing:
        raise ValueError(f"strategy {name!r} needs the parameter(s) {missing}")
    return cls(**params)


def describe(strategy: Strategy) -> dict[str, Any]:
    """What a sweep's configuration holds for ``strategy``: its registered name and its
    :meth:`~paper_mtl.weighting.base.Strategy.get_params` as JSON values (a tensor or tuple as a list, a wrapped
    strategy described in turn). :func:`build` makes the strategy again, so the configuration (and the cache key
    hashed from it) names every parameter the run used, defaults included."""
    name = type(strategy).name
    if _REGISTRY.get(name) is not type(strategy):
        raise ValueError(f"{type(strategy).__qualname__} is not registered (as {name!r}): register it to describe it")
    return {"strategy": name, "params": {k: _as_json(v, f"{name}.{k}") for k, v in strategy.get_params().items()}}


def build(description: dict[str, Any]) -> Strategy:
    """The strategy a :func:`describe` output describes."""
    if not isinstance(description, dict) or set(description) != {"strategy", "params"}:
        raise ValueError(f"expected a strategy description {{'strategy': name, 'params': {{...}}}}, got {description!r}")
    return get_strategy(description["strategy"], **{k: _from_json(v) for k, v in description["params"].items()})


def _from_json(value: Any) -> Any:
    """A parameter value back from its JSON form: a description becomes its strategy, wherever it is nested."""
    if isinstance(value, dict) and set(value) == {"strategy", "params"}:
        return build(value)
    if isinstance(value, list):
        return [_from_json(v) for v in value]
    if isinstance(value, dict):
        return {k: _from_json(v) for k, v in value.items()}
    return value


def _as_json(value: Any, where: str) -> Any:
    if isinstance(value, Strategy):
        return describe(value)
    if isinstance(value, torch.Tensor):
        return value.tolist()
    if isinstance(value, tuple | list):
        return [_as_json(v, where) for v in value]
    if isinstance(value, dict):
        return {str(k): _as_json(v, where) for k, v in value.items()}
    if value is None or isinstance(value, bool | int | float | str):
        return value
    raise ValueError(f"parameter {where} = {value!r} has no JSON form; describe it with numbers, strings or lists")
