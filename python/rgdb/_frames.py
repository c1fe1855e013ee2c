"""Frames from pandas, polars or Arrow as an Arrow IPC stream, for `Database.register`."""

import pyarrow
import pyarrow.ipc


def to_ipc(frame):
    """The frame's rows as Arrow IPC stream bytes. Accepts a pyarrow Table, RecordBatch or
    RecordBatchReader, a pandas or polars DataFrame, or any object with `__arrow_c_stream__`."""
    if isinstance(frame, pyarrow.RecordBatchReader):
        table = frame.read_all()
    elif isinstance(frame, pyarrow.Table):
        table = frame
    elif isinstance(frame, pyarrow.RecordBatch):
        table = pyarrow.Table.from_batches([frame])
    elif type(frame).__module__.startswith("pandas"):
        table = pyarrow.Table.from_pandas(frame, preserve_index=False)
    elif hasattr(frame, "to_arrow"):
        table = frame.to_arrow()
    elif hasattr(frame, "__arrow_c_stream__"):
        table = pyarrow.table(frame)
    else:
        raise TypeError(
            f"register takes a pandas or polars DataFrame or a pyarrow Table, not {type(frame).__name__}"
        )
    # Large and view strings (pandas 3 and polars make them) as plain UTF-8, the type rgdb's
    # tables hold, so that a subject_id joins the stored tables' without a cast.
    def plain(t):
        if pyarrow.types.is_large_string(t) or pyarrow.types.is_string_view(t):
            return pyarrow.string()
        return t

    schema = pyarrow.schema([f.with_type(plain(f.type)) for f in table.schema])
    if schema != table.schema:
        table = table.cast(schema)
    sink = pyarrow.BufferOutputStream()
    with pyarrow.ipc.new_stream(sink, table.schema) as writer:
        writer.write_table(table)
    return sink.getvalue().to_pybytes()
