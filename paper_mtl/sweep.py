"""Run many training configurations, caching each result on disk under a hash of its configuration.

A result is stored as ``<cache>/<name>/<hash>.json`` as soon as its configuration finishes, written to a temporary
file and renamed, so a sweep killed mid-way loses only the configurations that were running, and a repeated or
interrupted notebook run trains only what is missing. The hash covers the function's qualified name, the
configuration, the package version and the library's source (:func:`source_hash`), so a result computed by other
code is never served: an edit anywhere in ``paper_mtl`` retrains what it may have changed.

Configurations run through an executor: :class:`InProcess` (the default), :class:`DeviceWorkers` (one worker
process per device, e.g. per GPU of a node) or :class:`DaskExecutor` (any ``dask.distributed`` client: a laptop's
``LocalCluster`` or a real cluster, the same code path). Results always come back to this process, which alone
writes the cache, so a lost worker costs only the configuration it was running. A failing configuration (or a dead
worker) cancels the configurations not yet started and raises at once; results that arrived before it stay cached.

Without an explicit ``executor``, :func:`run_sweep` asks :func:`executor_from_env`, so the environment variable
``PAPER_MTL_EXECUTOR`` moves every sweep of an unchanged notebook or script elsewhere:

* unset, empty or ``inprocess``: :class:`InProcess`;
* ``devices``: :class:`DeviceWorkers` on every visible GPU; ``devices:cuda:0,cuda:1``: on those devices;
* ``dask:<scheduler address>`` (e.g. ``dask:tcp://10.0.0.1:8786``): :class:`DaskExecutor` on a
  ``distributed.Client`` connected to that scheduler (one client per address, reused by later sweeps).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import multiprocessing
import os
import re
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from pathlib import Path
from typing import Any

import pandas as pd

from paper_mtl import __version__
from paper_mtl.cost import dry_run, in_sweep
from paper_mtl.files import write_atomic
from paper_mtl.progress import progress_bar

_FRAME = "__dataframe__"


def cache_root() -> Path:
    """``$PAPER_MTL_CACHE`` if set, else ``.cache/sweeps`` at the repository root."""
    env = os.environ.get("PAPER_MTL_CACHE")
    return Path(env) if env else Path(__file__).resolve().parents[1] / ".cache" / "sweeps"


def _encode(value: Any) -> Any:
    if isinstance(value, pd.DataFrame):
        return {_FRAME: json.loads(value.to_json(orient="split", double_precision=15))}
    if isinstance(value, dict):
        return {str(k): _encode(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_encode(v) for v in value]
    if hasattr(value, "item") and getattr(value, "ndim", 1) == 0:
        return value.item()
    return value


def _decode(value: Any) -> Any:
    if isinstance(value, dict):
        if set(value) == {_FRAME}:
            split = value[_FRAME]
            return pd.DataFrame(split["data"], index=split["index"], columns=split["columns"])
        return {k: _decode(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_decode(v) for v in value]
    return value


def source_hash() -> str:
    """sha256 of the ``paper_mtl`` package's source: every ``.py`` file's path and bytes. Part of each cache key,
    so an edit anywhere in the library retrains instead of serving results of other code (read anew each call,
    in case the library was reloaded)."""
    root = Path(__file__).resolve().parent
    digest = hashlib.sha256()
    for path in sorted(root.rglob("*.py")):
        digest.update(path.relative_to(root).as_posix().encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()[:20]


def config_hash(fn: Callable[..., Any], config: dict[str, Any], source: str | None = None) -> str:
    """The cache key of ``fn(config)``: sha256 of the function's name, the canonical JSON config, the version and
    the library's ``source`` (default :func:`source_hash`), and in a dry run a marker (a dry run's truncated
    training never serves a real run, nor the reverse)."""
    key = {"fn": f"{fn.__module__}.{fn.__qualname__}", "config": config, "version": __version__,
           "source": source or source_hash()}
    if dry_run():
        key["dry_run"] = True
    try:
        text = json.dumps(key, sort_keys=True)
    except TypeError as exc:
        raise ValueError(f"sweep configurations must be JSON-serialisable; got {config!r} ({exc})") from exc
    return hashlib.sha256(text.encode()).hexdigest()[:20]


Job = tuple[int, dict[str, Any]]


class InProcess:
    """Runs configurations one after another in this process."""

    def map(self, fn: Callable[[dict[str, Any]], dict[str, Any]], jobs: Sequence[Job]) -> Iterator[tuple[int, Any]]:
        for index, config in jobs:
            yield index, fn(config)


def _bind_device(queue: Any) -> None:
    """Worker initialiser: take one device from ``queue``; a CUDA device becomes the only one the worker sees."""
    device = queue.get()
    if device.startswith("cuda"):
        os.environ["CUDA_VISIBLE_DEVICES"] = device.partition(":")[2] or "0"
    else:
        os.environ["CUDA_VISIBLE_DEVICES"] = ""
    os.environ["PAPER_MTL_WORKER_DEVICE"] = device


class DeviceWorkers:
    """One worker process per device (``["cuda:0", "cuda:1", ...]``, default every visible GPU).

    Each worker sees only its own GPU, so configurations that ask for ``device="auto"`` land on it and their cache
    keys do not depend on which GPU ran them. Workers start with ``spawn``, so ``fn`` must be importable.
    """

    def __init__(self, devices: Sequence[str] | None = None) -> None:
        import torch

        self.devices = list(devices) if devices else [f"cuda:{i}" for i in range(torch.cuda.device_count())]
        if not self.devices:
            raise ValueError("DeviceWorkers needs at least one device; none given and no GPU is visible")

    def map(self, fn: Callable[[dict[str, Any]], dict[str, Any]], jobs: Sequence[Job]) -> Iterator[tuple[int, Any]]:
        context = multiprocessing.get_context("spawn")
        queue = context.Queue()
        for device in self.devices:
            queue.put(device)
        pool = ProcessPoolExecutor(len(self.devices), mp_context=context, initializer=_bind_device, initargs=(queue,))
        try:
            futures = {pool.submit(fn, config): index for index, config in jobs}
            for future in as_completed(futures):
                yield futures[future], future.result()
        except BaseException:
            # A raising configuration, a dead worker (BrokenProcessPool) or the caller closing this generator: drop
            # the configurations not yet started and return now instead of waiting for the whole queue. Those already
            # running finish in their workers and are discarded (nothing but the caller writes the cache).
            pool.shutdown(wait=False, cancel_futures=True)
            raise
        pool.shutdown()


class DaskExecutor:
    """Submits each configuration to a ``dask.distributed.Client`` and collects results as they complete."""

    def __init__(self, client: Any) -> None:
        self.client = client

    def map(self, fn: Callable[[dict[str, Any]], dict[str, Any]], jobs: Sequence[Job]) -> Iterator[tuple[int, Any]]:
        from distributed import as_completed as dask_completed

        futures = {self.client.submit(fn, config, pure=False): index for index, config in jobs}
        try:
            for future in dask_completed(list(futures)):
                yield futures[future], future.result()
        except BaseException:
            # Stop the rest of the sweep on the cluster too; a cancel that fails must not hide the original error.
            with contextlib.suppress(Exception):
                self.client.cancel([future for future in futures if not future.done()])
            raise


EXECUTOR_FORMS = "'inprocess', 'devices', 'devices:<device>,<device>,...' or 'dask:<scheduler address>'"
_DEVICE = re.compile(r"cpu|cuda(:\d+)?")
_dask_clients: dict[str, Any] = {}


def _parse_executor(raw: str) -> tuple[str, list[str] | str | None]:
    """``(kind, argument)`` of an executor value: ``("inprocess", None)``, ``("devices", None | [devices])`` or
    ``("dask", address)``; a malformed value raises ``ValueError`` naming it and the valid forms."""
    text = raw.strip()
    kind, colon, rest = text.partition(":")
    kind = kind.lower()
    if kind in ("", "inprocess") and not colon:
        return "inprocess", None
    if kind == "devices":
        if not colon:
            return "devices", None
        devices = [d.strip() for d in rest.split(",")]
        bad = [d for d in devices if not _DEVICE.fullmatch(d)]
        if bad:
            raise ValueError(
                f"PAPER_MTL_EXECUTOR={raw!r}: devices must be 'cpu', 'cuda' or 'cuda:N' separated by commas, got {bad}"
            )
        return "devices", devices
    if kind == "dask" and rest.strip():
        return "dask", rest.strip()
    raise ValueError(f"PAPER_MTL_EXECUTOR={raw!r} is not an executor; expected unset or {EXECUTOR_FORMS}")


def check_executor(value: str | None = None) -> str:
    """Validate ``value`` (default ``$PAPER_MTL_EXECUTOR``) before any work, without starting workers or connecting
    to a scheduler: its form, that a GPU is visible for ``devices`` and that each named CUDA device exists, and
    that ``distributed`` is installed for ``dask:``. Returns the executor's kind; raises ``ValueError``."""
    raw = os.environ.get("PAPER_MTL_EXECUTOR", "") if value is None else value
    kind, arg = _parse_executor(raw)
    if kind == "devices":
        import torch

        count = torch.cuda.device_count()
        wanted = [d for d in (arg or ["cuda"]) if d.startswith("cuda")]
        missing = [d for d in wanted if count == 0 or int(d.partition(":")[2] or 0) >= count]
        if missing:
            raise ValueError(f"PAPER_MTL_EXECUTOR={raw!r} names CUDA device(s) {missing}, but {count} GPU(s) are visible")
    if kind == "dask":
        import importlib.util

        if importlib.util.find_spec("distributed") is None:
            raise ValueError(f"PAPER_MTL_EXECUTOR={raw!r} needs `pip install distributed`")
    return kind


def executor_from_env(value: str | None = None) -> InProcess | DeviceWorkers | DaskExecutor:
    """The executor that ``value`` (default ``$PAPER_MTL_EXECUTOR``) names; :func:`run_sweep` uses it when given none.

    Unset, empty or ``"inprocess"`` gives :class:`InProcess`; ``"devices"`` gives :class:`DeviceWorkers` on every
    visible GPU and ``"devices:cuda:0,cuda:1"`` on the listed devices (``cpu``, ``cuda`` or ``cuda:N``; a device
    listed twice gets two workers); ``"dask:<scheduler address>"`` gives :class:`DaskExecutor` on a
    ``distributed.Client`` connected to that address, created on first use and reused by later calls while it
    stays open.
    """
    raw = os.environ.get("PAPER_MTL_EXECUTOR", "") if value is None else value
    kind, arg = _parse_executor(raw)
    if kind == "inprocess":
        return InProcess()
    if kind == "devices":
        return DeviceWorkers(arg)  # type: ignore[arg-type]
    address = str(arg)
    client = _dask_clients.get(address)
    if client is None or client.status != "running":
        try:
            from distributed import Client
        except ImportError as exc:
            raise ImportError(f"PAPER_MTL_EXECUTOR={raw!r} needs `pip install distributed`") from exc
        client = _dask_clients[address] = Client(address)
    return DaskExecutor(client)


def run_sweep(
    fn: Callable[[dict[str, Any]], dict[str, Any]],
    configs: Sequence[dict[str, Any]],
    name: str,
    cache: str | Path | None = None,
    progress: bool = True,
    executor: InProcess | DeviceWorkers | DaskExecutor | None = None,
) -> list[dict[str, Any]]:
    """Return ``[fn(c) for c in configs]``, computing only the configurations not already cached.

    ``fn`` must be a module-level function returning a JSON-serialisable dict (pandas DataFrames are allowed
    anywhere inside it); results come back in the order of ``configs``, whichever ``executor`` computed them.
    Without ``executor``, ``$PAPER_MTL_EXECUTOR`` chooses one (:func:`executor_from_env`), and only when some
    configuration is not cached, so a fully cached sweep never needs its workers or cluster.
    """
    if not name or any(c in name for c in "/\\"):
        raise ValueError(f"sweep name must be a non-empty plain name, got {name!r}")
    directory = Path(cache or cache_root()) / name
    directory.mkdir(parents=True, exist_ok=True)
    source = source_hash()
    keys = [config_hash(fn, dict(c), source) for c in configs]
    results: list[dict[str, Any] | None] = []
    for key in keys:
        path = directory / f"{key}.json"
        results.append(_decode(json.loads(path.read_text())["result"]) if path.exists() else None)
    todo = [(i, dict(configs[i])) for i, r in enumerate(results) if r is None]
    if not todo:
        return results  # type: ignore[return-value]
    finished = (executor if executor is not None else executor_from_env()).map(fn, todo)
    try:
        with in_sweep(name):  # configurations computed in this process log their costs under the sweep's name
            for i, result in progress_bar(finished, total=len(todo), desc=name, enabled=progress, leave=False):
                if not isinstance(result, dict):
                    raise TypeError(f"{fn.__qualname__} must return a dict, got {type(result).__name__}")
                payload = json.dumps({"config": configs[i], "result": _encode(result)})
                write_atomic(directory / f"{keys[i]}.json", payload)
                results[i] = _decode(json.loads(payload)["result"])
    finally:
        # On an error here (or Ctrl-C) let the executor cancel its queue now, not whenever the traceback is freed.
        close = getattr(finished, "close", None)
        if close is not None:
            close()
    return results  # type: ignore[return-value]
