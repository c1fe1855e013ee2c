"""Which delimited texts leave a quote open at the end, by pandas' C tokenizer (an independent
reader of RFC 4180 quoting), for `ingest::guard`'s test `quotes_agree_with_pandas`.

Writes reference.tsv: delimiter (as a number), the text in hex, and `ok` or the 1-based line
where pandas says the open quote starts ("EOF inside string starting at row N": N is the
0-based record, which is the line minus 1 because no case has an earlier multi-line field).

    ~/.cache/rgdb-refenv/bin/python tests/reference/quotes/reference.py
"""

import io
import re
import pathlib

import pandas as pd

CASES = [
    (",", b'a,b\n"x","y"\n'),
    (",", b'a,b\n1,"x\n2,y\n3,z\n'),
    (",", b'a,b\n1,"x""\n'),
    (",", b'a,b\n1,"x""y"\n'),
    (",", b'a,b\n1,x"y\n2,z\n'),
    (",", b'a,b\n1, "x\n2,y\n'),
    (",", b'\xef\xbb\xbf"a",b\n1,2\n'),
    (",", b'\xef\xbb\xbf"a,b\n1,2\n'),
    (",", b'a,b\n1,"q"x,"\n'),
    (",", b'a,b\r\n1,"x\r\n2,y\r\n'),
    (",", b'a,b\r\n1,"x"\r\n2,y\r\n'),
    (",", b'a,b\n1,""\n2,""""\n'),
    (",", b'a,b\n1,"x"'),
    (",", b'a,b\n1,"x'),
    (",", b'a,b\n1,2\n3,"last'),
    (",", b'a,b\n1,"b\tc\n'),
    (",", b'a,"b\nc",d\n1,2,3\n'),
    ("\t", b'a\tb\n1\t"x,y"\n'),
    ("\t", b'a\tb\n1\t"x\n2\ty\n'),
    ("\t", b'a\tb\n1\tx,"y\n2\tz\n'),
    ("\t", b'"ID_REF"\t"GSM1"\n"p1"\t1.5\n"p2\t2.5\n'),
    (";", b'a;b\n1;"x;y"\n2;"z\n'),
]


def verdict(delimiter: str, text: bytes) -> str:
    try:
        pd.read_csv(io.BytesIO(text), sep=delimiter, header=None, dtype=str, engine="c")
        return "ok"
    except pd.errors.ParserError as e:
        m = re.search(r"EOF inside string starting at row (\d+)", str(e))
        if not m:
            raise
        return str(int(m.group(1)) + 1)


out = pathlib.Path(__file__).with_name("reference.tsv")
with out.open("w") as f:
    f.write(f"# pandas {pd.__version__}: delimiter\ttext (hex)\tok or the line the open quote starts on\n")
    for delimiter, text in CASES:
        f.write(f"{ord(delimiter)}\t{text.hex()}\t{verdict(delimiter, text)}\n")
print(out.read_text())
