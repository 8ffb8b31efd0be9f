"""The Dask engine: the same partition function on a ``dask.distributed`` cluster (the ``dask`` extra).

This is the only module that imports ``distributed``. A :class:`WorkerSetup` plugin carries what every
task needs (options, the manifest, the files of a ``--lexicon-dir`` and of a ``--model``, which a remote
worker may not see) to each worker once; it writes those files into the worker's own temporary folder,
loads lexicons and model there and warms them up. Tasks then carry only their (file id, path) pairs.

A worker that dies takes its running partition with it; the scheduler runs the partition again on another
worker (``distributed.scheduler.allowed-failures``), and when a partition keeps killing workers
(``KilledWorker``) :func:`~auditnlp.corpus.engine.run_partitions` splits it into single files.

A Dask worker samples its threads' stacks for the dashboard's profile (``distributed.worker.profile``) and
keeps a second's profile tree for each of the last 1,000 seconds, twice (overall and by task prefix): with
this analysis's deep and varied stacks that is ≈ 0.13 MB a second for the first ≈ 17 minutes of a worker's
life, ≈ 130 MB in all beside the ≈ 160 MB of the analysis. The local cluster the engine starts has it
off; a cluster given by address keeps its own setting, and :meth:`DaskEngine.start` warns when its
workers have it on.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
import uuid
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import dask
from distributed import Client, Future, LocalCluster, WorkerPlugin, get_worker, wait
from distributed.scheduler import KilledWorker

from auditnlp.corpus.engine import Files, Lost, Outcome, Work, default_partition_size, run_partition, warm_up
from auditnlp.errors import OptionsError


def _read_folder(folder: str | None) -> dict[str, bytes]:
    if folder is None:
        return {}
    return {p.name: p.read_bytes() for p in sorted(Path(folder).iterdir()) if p.is_file()}


def _model_files(model: str) -> dict[str, bytes]:
    """A model file with the files read beside it (its ``.json`` sidecar and ``.npz`` arrays), by name."""
    from auditnlp.classify.inference import arrays_path, sidecar_path

    paths = [Path(model), sidecar_path(model), arrays_path(model)]
    return {p.name: p.read_bytes() for p in paths if p.is_file()}


class WorkerSetup(WorkerPlugin):  # type: ignore[misc]
    """Sent to each worker once: the work of every task, with lexicon and model files to write locally."""

    def __init__(self, work: Work) -> None:
        self.name = f"auditnlp-{uuid.uuid4().hex[:12]}"
        self.work = work
        self.lexicons = _read_folder(work.options.lexicon_dir)
        self.model = _model_files(work.options.model) if work.options.model else None
        self.model_name = Path(work.options.model).name if work.options.model else None
        self.local: Work | None = None
        self._folder: str | None = None

    def setup(self, worker: Any = None) -> None:
        """Write lexicons and model into a folder of this worker, point the options at it, warm up."""
        options = self.work.options
        if self.lexicons or self.model is not None:
            self._folder = tempfile.mkdtemp(prefix="auditnlp-worker-")
        if self.lexicons:
            assert self._folder is not None
            lexicon_dir = os.path.join(self._folder, "lexicons")
            os.makedirs(lexicon_dir)
            for name, data in self.lexicons.items():
                Path(lexicon_dir, name).write_bytes(data)
            options = replace(options, lexicon_dir=lexicon_dir)
        if self.model is not None:
            assert self._folder is not None and self.model_name is not None
            for name, data in self.model.items():  # the model, its sidecar and its arrays
                Path(self._folder, name).write_bytes(data)
            options = replace(options, model=os.path.join(self._folder, self.model_name))
        self.local = replace(self.work, options=options)
        warm_up(options)

    def teardown(self, worker: Any = None) -> None:
        """Remove the worker's copies."""
        if self._folder is not None:
            import shutil

            shutil.rmtree(self._folder, ignore_errors=True)


PROFILE_SETTING = "distributed.worker.profile.enabled"


def _profiling(dask_worker: Any) -> bool:
    """Whether a worker samples its threads for the dashboard's profile (run on each worker)."""
    return "profile" in dask_worker.periodic_callbacks


def _task(files: Files, plugin: str) -> Any:
    """What a Dask task runs: the shared partition function with the worker's own copy of the work."""
    setup = get_worker().plugins[plugin]
    assert isinstance(setup, WorkerSetup)
    assert setup.local is not None
    return run_partition(files, setup.local)


@dataclass
class DaskEngine:
    """A ``dask.distributed`` cluster at `scheduler` (``tcp://host:8786``), or a local cluster of `workers`
    processes (default: all cores) when no address is given; `partitions` sets how many partitions the
    files are cut into (default: small partitions, see
    :func:`~auditnlp.corpus.engine.default_partition_size`)."""

    scheduler: str | None = None
    workers: int | None = None
    partitions: int | None = None
    client: Client | None = None
    slots: int = field(init=False, default=1)
    _cluster: LocalCluster | None = field(init=False, default=None, repr=False)
    _own_client: bool = field(init=False, default=False, repr=False)
    _plugin: str | None = field(init=False, default=None, repr=False)

    def _connect(self) -> Client:
        if self.client is not None:
            return self.client
        if self.scheduler:
            try:
                self.client = Client(self.scheduler, timeout="30s")
            except OSError as exc:
                raise OptionsError(f"cannot reach the Dask scheduler at {self.scheduler}: {exc}") from None
        else:
            with dask.config.set({PROFILE_SETTING: False}):  # read by each worker's nanny, restarts too
                self._cluster = LocalCluster(
                    n_workers=max(1, self.workers or os.cpu_count() or 1),
                    threads_per_worker=1,
                    processes=True,
                    dashboard_address=None,
                )
            self.client = Client(self._cluster)
        self._own_client = True
        return self.client

    def start(self, work: Work) -> None:
        """Connect, register the worker setup (once per worker, and on workers that join later)."""
        client = self._connect()
        plugin = WorkerSetup(work)
        client.register_plugin(plugin, name=plugin.name)
        self._plugin = plugin.name
        threads = client.nthreads()
        self.slots = max(1, sum(threads.values()))
        try:
            profiling = [address for address, on in client.run(_profiling).items() if on]
        except Exception:  # a cluster that refuses client.run: the warning is advice, not a condition
            profiling = []
        if profiling:
            warnings.warn(
                f"{len(profiling)} of the cluster's {len(threads)} Dask workers keep a statistical profile, "
                "which grows a worker's memory by about 0.13 MB a second for its first 17 minutes "
                "(≈ 130 MB); start them with DASK_DISTRIBUTED__WORKER__PROFILE__ENABLED=False",
                RuntimeWarning,
                stacklevel=2,
            )

    def submit(self, files: Files) -> Future:
        """One partition as one task (not pure: a file may change between runs)."""
        assert self.client is not None and self._plugin is not None
        return self.client.submit(_task, files, self._plugin, pure=False)

    def wait(self, handles: Sequence[Any]) -> list[tuple[Any, Outcome]]:
        """Finished tasks: rows, a worker lost (``KilledWorker``), or the task's exception."""
        finished = wait(list(handles), return_when="FIRST_COMPLETED").done
        out: list[tuple[Any, Outcome]] = []
        for future in finished:
            if future.status == "finished":
                out.append((future, future.result()))
                continue
            exc = future.exception()
            if isinstance(exc, KilledWorker):
                out.append((future, Lost(f"worker died: {exc}", certain=True)))
            else:
                out.append((future, exc))
            future.release()
        return out

    def close(self) -> None:
        """Unregister the setup; close the client and cluster this engine started."""
        if self.client is not None and self._plugin is not None:
            with contextlib.suppress(Exception):  # a cluster that went away needs no cleaning
                self.client.unregister_worker_plugin(self._plugin)
            self._plugin = None
        if self._own_client and self.client is not None:
            self.client.close()
            self.client = None
        if self._cluster is not None:
            self._cluster.close()
            self._cluster = None

    def partition_size(self, files: int) -> int:
        """See :func:`~auditnlp.corpus.engine.default_partition_size`."""
        return default_partition_size(files, self.slots, self.partitions)
