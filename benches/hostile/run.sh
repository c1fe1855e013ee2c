#!/usr/bin/env bash
# The hostile-input figures of issue 21: time and peak RSS of one rgdb binary on each input of
# inputs.py. Usage: benches/hostile/run.sh BIN WORKDIR [TIMEOUT_SECONDS, default 300]
# Run it with the release binary of the commit to measure and of the one before, on an idle
# machine; benches/README.md has the latest figures.
set -u
BIN=$(realpath "$1"); WORK=$2; LIMIT=${3:-300}
HERE=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$WORK" && cd "$WORK"
python3 "$HERE/inputs.py" "$WORK"
rm -rf levels.rgdb sep.rgdb w200.rgdb w100000.rgdb x_*.rgdb
"$BIN" --db levels.rgdb --create -c "IMPORT TABLE t FROM 'levels_10000.csv' SUBJECT COLUMN 'subject'" >/dev/null
"$BIN" --db sep.rgdb --create -c "IMPORT TABLE t FROM 'separation_10000.csv' SUBJECT COLUMN 'subject'" >/dev/null
"$BIN" --db w200.rgdb --create -c "IMPORT TABLE w FROM 'wide200.csv' SUBJECT COLUMN 'subject_id'" >/dev/null
measure() { # what, then the rgdb arguments
  local what=$1; shift
  /usr/bin/time -f "%e %M" -o time.txt timeout "$LIMIT" "$BIN" "$@" >out.txt 2>err.txt
  local code=$? t m; read -r t m < <(tail -1 time.txt)
  [ "$code" = 124 ] && t="stopped at $LIMIT"
  printf '%-44s %14s s %10s KB  %s\n' "$what" "$t" "$m" "$(head -c 110 err.txt | head -1)"
}
measure "item 4: 2 GB matrix line (import)" --db x_line.rgdb --create -c "IMPORT EXPRESSION FROM 'long_line.tsv.gz' AS rnaseq"
measure "item 4: 2 GB header line (import)" --db x_header.rgdb --create -c "IMPORT EXPRESSION FROM 'long_header.tsv.gz' AS rnaseq"
measure "item 5: COX, 10,000 levels" --db levels.rgdb -c "COX OF t TIME t.days EVENT t.died ON t.level"
measure "item 5: COX, 1,000 levels" --db levels.rgdb -c "COX OF t TIME t.days EVENT t.died ON t.level1000"
measure "item 6: 1 MB name, 200 columns" --db w200.rgdb -f ident_1mb.sql
measure "item 15: import 3 x 100,000 CSV" --db w100000.rgdb --create -c "IMPORT TABLE w FROM 'wide100000.csv' SUBJECT COLUMN 'subject_id'"
measure "item 6: 1 MB name, 100,000 columns" --db w100000.rgdb -f ident_1mb.sql
measure "item 6: 248-char typo, 100,000 columns" --db w100000.rgdb -f ident_248.sql
measure "item 7: COX, complete separation" --db sep.rgdb --format csv -c "COX OF t TIME t.days EVENT t.died ON t.x, t.z"
grep -c "separation" out.txt | sed 's/^/           rows flagged as separation: /'
measure "item 8: SURVIVAL BY 10,000 groups" --db levels.rgdb -c "SURVIVAL OF t TIME t.days EVENT t.died BY t.level"
