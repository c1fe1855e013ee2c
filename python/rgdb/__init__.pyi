"""Type hints for rgdb, the embedded analytical database for radiogenomics cohorts."""

from __future__ import annotations

import datetime
import os
from types import TracebackType
from typing import Any, Dict, Iterator, List, Optional, Sequence, Tuple, Type, Union

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

Row = Tuple[Any, ...]
"""A row as `fetchone` and `fetchall` give it: one plain Python value per column."""

Description = Tuple[str, str, None, None, None, None, bool]
"""DB-API's column description: (name, type_code, None, None, None, None, null_ok); the type
code is the Arrow type's name (`Utf8`, `Float64`, `Int64`, `Boolean`, `Date32`, …)."""

class _Test(Tuple[Any, ...]):
    """The test statistics of a SURVIVAL or COX result: a namedtuple `Test` with one field per
    column of its test table, as plain Python values (float, int, str or None). SURVIVAL has
    test, chisq, df, p, groups, n, events, dropped, note; COX has n, events, dropped, lr_chisq,
    lr_df, lr_p, wald_chisq, wald_df, wald_p, score_chisq, score_df, score_p, concordance,
    log_likelihood, null_log_likelihood, iterations."""

    # SURVIVAL (the log-rank test; chisq, df and p are None when no test could be computed,
    # and note says why).
    test: str
    chisq: Optional[float]
    df: Optional[int]
    p: Optional[float]
    groups: int
    note: Optional[str]
    # Both.
    n: int
    events: int
    dropped: int
    # COX (likelihood-ratio, Wald and score tests).
    lr_chisq: float
    lr_df: int
    lr_p: float
    wald_chisq: float
    wald_df: int
    wald_p: float
    score_chisq: float
    score_df: int
    score_p: float
    concordance: float
    log_likelihood: float
    null_log_likelihood: float
    iterations: int
    _fields: Tuple[str, ...]
    def _asdict(self) -> Dict[str, Any]: ...

class ArrowResult:
    """The rows of one statement, held in Rust until an Arrow reader imports them, with
    duckdb's result methods. `fetchone`, `fetchmany` and `fetchall` share one cursor; `df`,
    `pl` and `arrow` always give the whole result."""

    def __arrow_c_stream__(self, requested_schema: Optional[object] = None) -> object:
        """The rows as an Arrow C stream in a PyCapsule named "arrow_array_stream"."""
    @property
    def num_rows(self) -> int: ...
    @property
    def column_names(self) -> List[str]: ...
    @property
    def columns(self) -> List[str]:
        """The column names (duckdb's name for `column_names`)."""
    @property
    def shape(self) -> Tuple[int, int]:
        """(rows, columns)."""
    @property
    def description(self) -> List[Description]:
        """Per column, DB-API's (name, type_code, None, None, None, None, null_ok)."""
    @property
    def note(self) -> Optional[str]:
        """An import's text summary, or None (also schema metadata `rgdb:note`)."""
    @property
    def header(self) -> Optional[str]:
        """The text shown above the rows, or None: SURVIVAL's log-rank test, COX's model facts,
        DESCRIBE's table facts (also schema metadata `rgdb:header`)."""
    @property
    def test(self) -> Optional[_Test]:
        """SURVIVAL's or COX's test statistics as a namedtuple `Test` (`result.test.p`,
        `result.test._asdict()`); None for a result without a test (also schema metadata
        `rgdb:test`, a JSON object)."""
    @property
    def test_table(self) -> Optional[pyarrow.Table]:
        """The test statistics as a one-row `pyarrow.Table`, or None."""
    def arrow(self) -> pyarrow.Table:
        """The rows as a `pyarrow.Table`, sharing rgdb's buffers."""
    def fetch_arrow_table(self) -> pyarrow.Table:
        """The same as :meth:`arrow` (duckdb's older name)."""
    def df(self) -> Any:
        """The rows as a `pandas.DataFrame`. Needs pandas."""
    def fetchdf(self) -> Any:
        """The same as :meth:`df` (duckdb's other name)."""
    def pl(self) -> Any:
        """The rows as a `polars.DataFrame`, without copying. Needs polars."""
    def fetchone(self) -> Optional[Row]:
        """The next row, or None after the last."""
    def fetchmany(self, size: int = 1) -> List[Row]:
        """The next `size` rows (fewer at the end, `[]` after the last)."""
    def fetchall(self) -> List[Row]:
        """The rows not fetched yet (all on a fresh result); the cursor then starts over."""
    def __len__(self) -> int: ...

class Cursor:
    """A DB-API 2.0-style cursor on a :class:`Database` (`db.cursor()`)."""

    arraysize: int
    """How many rows `fetchmany()` returns without a size (1)."""
    def execute(self, text: str, params: Optional[Params] = None) -> Cursor:
        """Runs the statements of `text` and holds the last one's rows; returns the cursor."""
    def executemany(self, text: str, params_seq: Sequence[Params]) -> Cursor:
        """Runs `text` once per parameter set; holds the last result."""
    def fetchone(self) -> Optional[Row]:
        """The next row, or None after the last."""
    def fetchmany(self, size: Optional[int] = None) -> List[Row]:
        """The next `size` rows (`arraysize` by default)."""
    def fetchall(self) -> List[Row]:
        """The rows not fetched yet."""
    @property
    def description(self) -> Optional[List[Description]]:
        """Per column of the last result; None before the first `execute`."""
    @property
    def rowcount(self) -> int:
        """The number of rows of the last result; -1 before the first `execute`."""
    @property
    def connection(self) -> Database:
        """The database the cursor runs on."""
    def close(self) -> None:
        """Drops the held result; later calls raise :class:`Error`. The database stays open."""
    def setinputsizes(self, *sizes: Any) -> None:
        """DB-API asks for it; does nothing."""
    def setoutputsize(self, *args: Any) -> None:
        """DB-API asks for it; does nothing."""
    def __iter__(self) -> Iterator[Row]: ...
    def __next__(self) -> Row: ...
    def __enter__(self) -> Cursor: ...
    def __exit__(
        self,
        exc_type: Optional[Type[BaseException]],
        exc: Optional[BaseException],
        tb: Optional[TracebackType],
    ) -> bool: ...

class Database:
    """An open rgdb database. Made by :func:`open` or :func:`demo`."""

    def query(self, text: str, params: Optional[Params] = None) -> pyarrow.Table:
        """Runs the statements of `text` and returns the last one's rows. Ctrl-C cancels a read."""
    def arrow(self, text: str, params: Optional[Params] = None) -> ArrowResult:
        """Like :meth:`query`, returning an object with `__arrow_c_stream__`."""
    def sql(self, text: str, params: Optional[Params] = None) -> ArrowResult:
        """Like duckdb's `sql`: the last statement's rows as an :class:`ArrowResult`, with `df()`,
        `pl()`, `arrow()`, `fetchone()`, `fetchall()`, `test`, …"""
    def cursor(self) -> Cursor:
        """A DB-API 2.0-style cursor on this database."""
    def register(self, name: str, frame: Any) -> None:
        """Makes a pandas or polars DataFrame or a pyarrow Table queryable as `name` for this
        session (`FROM name`); with a `subject_id` column its rows join the stored tables."""
    def unregister(self, name: str) -> bool:
        """Forgets a registered frame; whether there was one."""
    def registered(self) -> List[str]:
        """The names of the registered frames."""
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

def sql(text: str, params: Optional[Params] = None) -> ArrowResult:
    """Runs `text` on the last database :func:`open` or :func:`demo` opened in this process
    (if still open), else on the demo cohort, as `duckdb.sql` runs on its default connection."""

def upgrade(path: Union[str, os.PathLike[str]]) -> Optional[Dict[str, Any]]:
    """Converts a database an earlier rgdb made (sled storage), once and atomically."""

def to_polars(table: Union[pyarrow.Table, ArrowResult]) -> Any:
    """A `polars.DataFrame` of a result, without copying the values."""
