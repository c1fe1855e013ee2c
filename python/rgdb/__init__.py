"""rgdb: an embedded analytical database for radiogenomics cohorts.

Open a database with :func:`open` (or :func:`demo` for the bundled NSCLC Radiogenomics
cohort), run statements of rgdb's language with :meth:`Database.query`, and get
``pyarrow.Table`` results. :meth:`Database.sql` and the module's :func:`sql` return an
:class:`ArrowResult` with duckdb's result methods (``df()``, ``pl()``, ``fetchall()``, …).
The language is described in docs/language.md.
"""

import functools
import threading
import weakref

from . import _rgdb
from ._rgdb import (
    ArrowResult,
    Cursor,
    Database,
    Error,
    ExecError,
    IngestError,
    ParseError,
    PlanError,
    ResolveError,
    StorageError,
    __version__,
    upgrade,
)

__all__ = [
    "ArrowResult",
    "Cursor",
    "Database",
    "Error",
    "ExecError",
    "IngestError",
    "ParseError",
    "PlanError",
    "ResolveError",
    "StorageError",
    "__version__",
    "demo",
    "open",
    "sql",
    "to_polars",
    "upgrade",
]

# The database `sql` runs on: the last one `open` or `demo` opened, or the demo `sql` opened
# itself when there was none (`_owned`). Held here, so it stays open until it is closed or
# another database is opened.
_lock = threading.RLock()
_last = None
_owned = False


def _remembered(opener):
    """`opener` (the compiled `open` or `demo`), remembering the database it opens for `sql`."""

    @functools.wraps(opener)
    def opening(*args, **kwargs):
        global _last, _owned
        with _lock:
            # Let go of the previous one first: if nothing else holds it, it is released with
            # its file lock, so opening the same path again works as it did before `sql`.
            previous, _last = _last, None
            if previous is not None and _owned:
                previous.close()
            _owned = False
            kept = weakref.ref(previous) if previous is not None else None
            del previous
            try:
                db = opener(*args, **kwargs)
            except BaseException:
                _last = kept() if kept is not None else None
                raise
            _last = db
            return db

    return opening


open = _remembered(_rgdb.open)
demo = _remembered(_rgdb.demo)


def _current():
    """The database `sql` runs on, opening the demo when none is open."""
    global _last, _owned
    with _lock:
        if _last is None or _last.closed:
            _last = None
            _last = _rgdb.demo()
            _owned = True
        return _last


def sql(text, params=None):
    """Runs `text` on the last database :func:`open` or :func:`demo` opened in this process
    (still open), or on the demo cohort when there is none, as ``duckdb.sql`` runs on
    duckdb's default connection. Returns an :class:`ArrowResult`: ``.df()``, ``.pl()``,
    ``.arrow()``, ``.fetchall()``, ``.fetchone()``, ``.test``, …"""
    return _current().sql(text, params)


def to_polars(table):
    """A ``polars.DataFrame`` of a query's result (a ``pyarrow.Table`` or an
    :class:`ArrowResult`), without copying the values. Needs polars installed."""
    try:
        import polars
    except ImportError as e:  # pragma: no cover - depends on the environment
        raise ImportError("rgdb.to_polars needs polars: pip install polars") from e
    if isinstance(table, ArrowResult):
        import pyarrow

        table = pyarrow.table(table)
    return polars.from_arrow(table)
