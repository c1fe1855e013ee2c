"""The GIL is released while a statement runs, and Ctrl-C cancels a reading statement."""

import _thread
import threading
import time

import pytest

import rgdb

# Sorting 2 M rows by a computed key takes seconds in a debug build (and about 0.5 s in release).
SLOW = "SELECT x, y, x * 31 % 9973 AS k FROM big ORDER BY k, y DESC, x LIMIT 1"


@pytest.fixture(scope="module")
def big(tmp_path_factory):
    """A database whose table `big` has 2,000,000 rows for 211 subjects."""
    dir = tmp_path_factory.mktemp("big")
    csv = dir / "big.csv"
    with csv.open("w") as f:
        f.write("id,x,y\n")
        f.writelines(
            f"S{i % 211},{(i * 7919) % 1_000_003},{i % 97}\n" for i in range(2_000_000)
        )
    db = rgdb.open(dir / "big.rgdb")
    db.execute(f"IMPORT TABLE big FROM '{csv}' SUBJECT COLUMN 'id' LEVEL MULTI")
    yield db
    db.close()


def test_other_threads_run_while_a_query_runs(big):
    beats = []
    stop = threading.Event()

    def heartbeat():
        while not stop.is_set():
            beats.append(time.monotonic())
            time.sleep(0.01)

    thread = threading.Thread(target=heartbeat)
    thread.start()
    try:
        start = time.monotonic()
        big.query(SLOW)
        end = time.monotonic()
    finally:
        stop.set()
        thread.join()
    during = [b for b in beats if start <= b <= end]
    gaps = [b - a for a, b in zip(during, during[1:])]
    assert end - start > 0.2, "the query was too quick to tell"
    assert len(during) >= 5
    # With the GIL held for the whole query, the heartbeat would stop for its whole length.
    assert max(gaps) < 0.2, max(gaps)


def test_two_threads_query_side_by_side(big):
    results = {}

    def run(name):
        results[name] = big.query("SELECT count(*) AS n FROM big").column("n").to_pylist()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results == {i: [2_000_000] for i in range(4)}


def test_ctrl_c_cancels_a_running_query(big):
    # A Ctrl-C that lands before the statement starts, or a query that ends before it lands,
    # is tried again.
    for delay in (0.3, 0.2, 0.5, 0.1, 0.8):
        timer = threading.Timer(delay, _thread.interrupt_main)
        start = time.monotonic()
        timer.start()
        try:
            big.query(SLOW)
        except KeyboardInterrupt:
            took = time.monotonic() - start
            break
        finally:
            timer.join()
        # The query won the race; absorb an interrupt that may still arrive.
        try:
            time.sleep(0.05)
        except KeyboardInterrupt:
            pass
    else:
        pytest.fail("the query was never interrupted")
    # The interrupt stopped the query promptly, not at its end.
    assert took < delay + 2.0, took
    # The database is usable afterwards.
    assert big.query("SELECT count(*) AS n FROM big").column("n").to_pylist() == [2_000_000]
    assert big.query(SLOW).num_rows == 1
