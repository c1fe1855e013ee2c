"""Fixtures for the rgdb Python tests: the repository's real data files and demo databases."""

import csv
import pathlib

import pytest

import rgdb

REPO = pathlib.Path(__file__).resolve().parents[2]
DATA = REPO / "data" / "nsclc_radiogenomics"
CLINICAL_CSV = DATA / "NSCLCR01Radiogenomic_DATA_LABELS_2018-05-22_1500-shifted.csv"
RNASEQ_TSV = DATA / "rnaseq_fpkm_subset_130x140.tsv"


@pytest.fixture(scope="session")
def demo(tmp_path_factory):
    """The bundled demo cohort, built once for the session in a temporary directory."""
    db = rgdb.demo(tmp_path_factory.mktemp("demo") / "demo.rgdb")
    yield db
    db.close()


@pytest.fixture
def db(tmp_path):
    """A new, empty database on disk."""
    with rgdb.open(tmp_path / "test.rgdb") as database:
        yield database


@pytest.fixture(scope="session")
def clinical_rows():
    """The clinical CSV as Python's csv module reads it: the outside reference for counts."""
    with CLINICAL_CSV.open(newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


@pytest.fixture(scope="session")
def rnaseq_rows():
    """The RNA-seq TSV (subjects by genes) as Python's csv module reads it."""
    with RNASEQ_TSV.open(newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f, delimiter="\t"))
