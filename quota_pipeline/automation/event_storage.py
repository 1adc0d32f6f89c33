"""Dagster's local SQLite storage with an event log that keeps its database engines open.

Dagster's SqliteEventLogStorage builds a SQLAlchemy engine, connects, commits and disposes
of the engine again for every event it stores (NullPool). A nightly run stores about 600
events (one per dbt test alone: planned and evaluated), most of them twice (run shard and
index shard), and each costs about 4.5 ms this way: 3 to 4 s a night, whatever the data
size. Keeping the engine of each shard file open makes an event about 0.7 ms.

Each commit in SQLite's default rollback journal also waits for two or three fsyncs, more
than half of what storing an event still cost. The shards are therefore kept in WAL mode
with ``synchronous=NORMAL``: a commit appends to the write-ahead log without waiting for
the disk, a crashed process loses nothing committed, and a power cut can lose only the
last events, never the file. A run's live page in the UI follows the run's ``-wal`` file
as well as the shard (SQLite writes the shard itself only at a checkpoint).

The files, tables and schema are Dagster's own, under the same DAGSTER_HOME folders as
Dagster's default local storage, so the UI, the daemon and earlier runs read them as
before. Only a bounded number of run shards keep an engine (a webserver reads many runs);
the least recently used one is disposed of.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from functools import cached_property
from typing import Any

from dagster._core.event_api import EventHandlerFn
from dagster._core.storage.event_log.sqlite.sqlite_event_log import (
    INDEX_SHARD_NAME,
    SqliteEventLogStorage,
    SqliteEventLogStorageWatchdog,
)
from dagster._core.storage.sql import create_engine
from dagster._core.storage.sqlite import SQLITE_BUSY_TIMEOUT_SECONDS
from dagster._core.storage.sqlite_storage import DagsterSqliteStorage, _event_logs_directory
from dagster._serdes import ConfigurableClassData
from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine
from watchdog.events import FileSystemEvent
from watchdog.observers import Observer

# Run shards with an open engine, besides the index shard (always open).
OPEN_RUN_SHARDS = 8


class PooledSqliteEventLogStorage(SqliteEventLogStorage):
    """SqliteEventLogStorage whose shard engines stay open (LRU-bounded), see module doc."""

    def __init__(self, base_dir: str, inst_data: ConfigurableClassData | None = None) -> None:
        self._engines: OrderedDict[str, Engine] = OrderedDict()
        self._engines_lock = threading.Lock()
        super().__init__(base_dir, inst_data)

    @classmethod
    def from_config_value(
        cls, inst_data: ConfigurableClassData | None, config_value: Mapping[str, Any]
    ) -> PooledSqliteEventLogStorage:
        return cls(inst_data=inst_data, **config_value)

    def _engine(self, shard: str) -> Engine:
        with self._engines_lock:
            engine = self._engines.get(shard)
            if engine is not None:
                self._engines.move_to_end(shard)
                return engine
            engine = create_engine(
                self.conn_string_for_shard(shard),
                # a pooled connection may be checked out by another thread than the one
                # that opened it; the storage's lock keeps one user at a time
                connect_args={"timeout": SQLITE_BUSY_TIMEOUT_SECONDS, "check_same_thread": False},
            )
            event.listen(engine, "connect", _write_ahead_log)
            self._engines[shard] = engine
            run_shards = [name for name in self._engines if name != INDEX_SHARD_NAME]
            for stale in run_shards[: max(len(run_shards) - OPEN_RUN_SHARDS, 0)]:
                self._engines.pop(stale).dispose()
            return engine

    @contextmanager
    def _connect(self, shard: str) -> Iterator[Connection]:
        with self._db_lock:
            engine = self._engine(shard)
            if shard not in self._initialized_dbs:
                self._initdb(engine)
                self._initialized_dbs.add(shard)
            with engine.connect() as conn, conn.begin():
                yield conn

    @cached_property
    def supports_asset_checks(self) -> bool:
        # Dagster asks the index shard's schema at every asset check event; the tables
        # are made when the shard is first opened and never dropped while it is open
        return super().supports_asset_checks

    def watch(self, run_id: str, cursor: str | None, callback: EventHandlerFn) -> None:
        if not self._obs:
            self._obs = Observer()
            self._obs.start()
        watchdog = _WalRunWatchdog(self, run_id, callback, cursor)
        self._watchers[run_id][callback] = (
            watchdog,
            self._obs.schedule(watchdog, self._base_dir, recursive=True),
        )

    def _dispose_engines(self) -> None:
        with self._engines_lock:
            while self._engines:
                self._engines.popitem()[1].dispose()

    def wipe(self) -> None:
        # the run shards' files are deleted: no engine may keep one open
        self._dispose_engines()
        super().wipe()

    def dispose(self) -> None:
        # watchers first: a run watcher (the UI's live run page) still reading would open
        # its shard's engine again after the engines were disposed, and keep the file open
        super().dispose()
        self._dispose_engines()


def _write_ahead_log(dbapi_connection: Any, _record: Any) -> None:
    """Each new connection of a shard: WAL journal, no wait for the disk at commit."""
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


class _WalRunWatchdog(SqliteEventLogStorageWatchdog):
    """Dagster's run watcher, also woken by the run shard's write-ahead log."""

    @property
    def patterns(self) -> list[str]:
        # the parent matches the shard file only
        return [self._log_path, f"{self._log_path}-wal"]

    def on_modified(self, event: FileSystemEvent) -> None:
        self._process_log()


class LocalDagsterStorage(DagsterSqliteStorage):
    """Dagster's default local storage (same folders under ``base_dir``), pooled event log.

    dagster.yaml: ``storage: {custom: {module: quota_pipeline.automation.event_storage,
    class: LocalDagsterStorage, config: {base_dir: {env: DAGSTER_HOME}}}}``.
    """

    def __init__(self, base_dir: str, inst_data: ConfigurableClassData | None = None) -> None:
        super().__init__(base_dir, inst_data)
        # the default event log the parent made (same folder) is replaced before any use
        self._event_log_storage = PooledSqliteEventLogStorage(_event_logs_directory(base_dir))

    @classmethod
    def from_config_value(
        cls, inst_data: ConfigurableClassData | None, config_value: Mapping[str, Any]
    ) -> LocalDagsterStorage:
        return cls.from_local(inst_data=inst_data, **config_value)
