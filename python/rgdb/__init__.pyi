"""Type hints for rgdb, the embedded analytical database for radiogenomics cohorts."""

from __future__ import annotations

import datetime
import os
from types import TracebackType
from typing import Any, Dict, List, Optional, Tuple, Type, Union

import pyarrow

__version__: str

Param = Union[None, bool, int, float, str, datetime.date]
"""A value for `$1` or `$name`: None is NULL, bool, int (64-bit), float, str or a date."""

Params = Union[List[Param], Tuple[Param, ...], Dict[str, Param]]
"""A list or tuple gives `$1, $2, …`; a dict gives `$name` (the key with or without `$`)."""

class Error(Exception):
    """Any error rgdb raises."""

    code: Optional[str]
    """The stable code of docs/errors.md, such as 'E0201' (None for "the database is closed")."""
    message: str
    """The message alone."""
    rendered: str
    """The code, message and the statement line with a caret under the span (also `str(e)`)."""
    span: Optional[Tuple[int, int]]
    """The (start, end) byte offsets of the statement text the error is about, or None."""

class ParseError(Error):
    """The statement text does not parse (E01xx)."""

class ResolveError(Error):
    """A name or type in the statement does not fit the catalog (E02xx)."""

class PlanError(Error):
    """The planner failed: a bug or a DataFusion limitation (E0302)."""

class ExecError(Error):
    """A statement could not be carried out (E03xx), such as a division by zero."""

class IngestError(Error):
    """An importer refused a source file (E04xx); the database is unchanged."""

class StorageError(Error):
    """The store refused an operation or found damage (E05xx)."""

class ArrowResult:
    """The rows of one statement, held in Rust until an Arrow reader imports them."""

    def __arrow_c_stream__(self, requested_schema: Optional[object] = None) -> object:
        """The rows as an Arrow C stream in a PyCapsule named "arrow_array_stream"."""
    @property
    def num_rows(self) -> int: ...
    @property
    def column_names(self) -> List[str]: ...
    @property
    def note(self) -> Optional[str]:
        """An import's text summary, or None (also schema metadata `rgdb:note`)."""
    @property
    def header(self) -> Optional[str]:
        """The text shown above the rows, or None: SURVIVAL's log-rank test, COX's model facts,
        DESCRIBE's table facts (also schema metadata `rgdb:header`)."""
    def __len__(self) -> int: ...

class Database:
    """An open rgdb database. Made by :func:`open` or :func:`demo`."""

    def query(self, text: str, params: Optional[Params] = None) -> pyarrow.Table:
        """Runs the statements of `text` and returns the last one's rows. Ctrl-C cancels a read."""
    def arrow(self, text: str, params: Optional[Params] = None) -> ArrowResult:
        """Like :meth:`query`, returning an object with `__arrow_c_stream__`."""
    def execute(self, text: str, params: Optional[Params] = None) -> Optional[str]:
        """Runs the statements of `text` for their effect; returns the last one's note (an import's
        text summary) or None. `query` returns an import's or export's summary as a row."""
    def import_clinical(self, path: Union[str, os.PathLike[str]]) -> Dict[str, Any]:
        """Imports a clinical CSV into `clinical`; returns table, kind, version, rows,
        new_subjects, replaced, columns and notes."""
    def tables(self) -> pyarrow.Table:
        """`SHOW TABLES`."""
    def cohorts(self) -> pyarrow.Table:
        """`SHOW COHORTS`."""
    def history(self) -> pyarrow.Table:
        """`SHOW HISTORY`."""
    def describe(self, name: str) -> pyarrow.Table:
        """`DESCRIBE name`: column, type, non_null, unit, label, description, role."""
    def subjects(self) -> List[str]:
        """Every subject ID, in the order first imported."""
    def explain(self, text: str) -> str:
        """The DataFusion logical plan of a reading statement."""
    @property
    def version(self) -> int:
        """The current version."""
    @property
    def read_only(self) -> bool:
        """Whether it was opened with ``read_only=True``."""
    @property
    def path(self) -> str:
        """The database's directory, or ":memory:"."""
    @property
    def closed(self) -> bool: ...
    def close(self) -> None:
        """Releases the database and its file lock; later calls raise :class:`Error`."""
    def __enter__(self) -> Database: ...
    def __exit__(
        self,
        exc_type: Optional[Type[BaseException]],
        exc: Optional[BaseException],
        tb: Optional[TracebackType],
    ) -> bool: ...

def open(
    path: Union[None, str, os.PathLike[str]] = None,
    *,
    create: bool = True,
    read_only: bool = False,
    upgrade: bool = False,
    memory_limit: Optional[int] = None,
    timeout: Optional[float] = None,
) -> Database:
    """Opens (or creates) the database at `path`; ":memory:" or None keeps it in memory.
    `read_only=True` reads beside a writer in another process and writes nothing."""

def demo(
    path: Union[None, str, os.PathLike[str]] = None, *, read_only: bool = False
) -> Database:
    """Opens the bundled NSCLC Radiogenomics demo cohort, building it on first use."""

def upgrade(path: Union[str, os.PathLike[str]]) -> Optional[Dict[str, Any]]:
    """Converts a database an earlier rgdb made (sled storage), once and atomically."""

def to_polars(table: Union[pyarrow.Table, ArrowResult]) -> Any:
    """A `polars.DataFrame` of a result, without copying the values."""
