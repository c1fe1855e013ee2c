"""db.register: a pandas, polars or pyarrow frame queryable for the session (issue 23)."""

import pandas as pd
import polars as pl
import pyarrow as pa
import pytest

import rgdb


def _scores():
    return {"subject_id": ["R01-013", "R01-022", "AMC-001"], "score": [1.5, None, 4.0]}


@pytest.mark.parametrize(
    "make",
    [
        lambda: pd.DataFrame(_scores()),
        lambda: pl.DataFrame(_scores()),
        lambda: pa.table(_scores()),
    ],
    ids=["pandas", "polars", "pyarrow"],
)
def test_a_registered_frame_joins_the_stored_tables_by_subject(demo, make):
    version = demo.version
    demo.register("scores", make())
    try:
        rows = demo.sql(
            "SELECT subject_id, score, gender, os_days FROM scores "
            "WHERE score IS NOT NULL ORDER BY subject_id"
        ).fetchall()
        # gender and os_days are the clinical table's (the CSV's Gender; os_days as
        # tests/reference/clinical_survival.csv derives it).
        assert rows == [("AMC-001", 4.0, "Male", 881), ("R01-013", 1.5, "Female", 3500)]
        n = demo.sql(
            "SELECT count(*) FROM subjects WHERE subject_id IN (SELECT subject_id FROM scores)"
        ).fetchone()
        assert n == (3,)
        assert demo.registered() == ["scores"]
        assert demo.version == version, "nothing is written"
    finally:
        assert demo.unregister("scores")
    with pytest.raises(rgdb.ResolveError, match="unknown table or cohort `scores`"):
        demo.sql("SELECT count(*) FROM scores")


def test_a_frame_without_subjects_has_its_own_columns(demo):
    demo.register("doses", pd.DataFrame({"arm": ["a", "b", "a"], "dose": [1, 2, 3]}))
    try:
        assert demo.sql("SELECT arm, sum(dose) FROM doses GROUP BY arm ORDER BY arm").fetchall() == [
            ("a", 4),
            ("b", 2),
        ]
        with pytest.raises(rgdb.ResolveError, match="has no `subject_id` column to join on"):
            demo.sql("SELECT count(rnaseq) FROM doses")
    finally:
        demo.unregister("doses")


def test_register_refuses_stored_names_and_other_objects(demo):
    with pytest.raises(rgdb.ResolveError, match="`clinical` already names a table"):
        demo.register("clinical", pa.table({"subject_id": ["R01-013"]}))
    with pytest.raises(TypeError, match="register takes a pandas or polars DataFrame"):
        demo.register("numbers", [1, 2, 3])
