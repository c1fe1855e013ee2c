"""rgdb: an embedded analytical database for radiogenomics cohorts.

Open a database with :func:`open` (or :func:`demo` for the bundled NSCLC Radiogenomics
cohort), run statements of rgdb's language with :meth:`Database.query`, and get
``pyarrow.Table`` results. The language is described in docs/language.md.
"""

from ._rgdb import (
    ArrowResult,
    Database,
    Error,
    ExecError,
    IngestError,
    ParseError,
    PlanError,
    ResolveError,
    StorageError,
    __version__,
    demo,
    open,
    upgrade,
)

__all__ = [
    "ArrowResult",
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
    "to_polars",
    "upgrade",
]


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
