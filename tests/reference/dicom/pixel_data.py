#!/usr/bin/env python3
"""Where pydicom finds the Pixel Data element of every file in data/dicom, and how long that
element says it is: the reference for rgdb's header walk (src/ingest/dicom/pixel.rs).

Writes pixel_data.json beside this script, and ct_small_rle.dcm: data/dicom/CT_small.dcm
compressed with RLE Lossless by pydicom's own encoder (encapsulated pixel data, 27,848 bytes
where the native image alone is 32,768), with its fragments as pydicom reads them.
Run with pydicom 3 and numpy: `python3 tests/reference/dicom/pixel_data.py`.

For each file: its size; the transfer syntax; `value_offset`, the byte where the Pixel Data
value begins (pydicom's `value_tell`); `declared_length`, the element's length field
(4294967295 = undefined, i.e. encapsulated); for encapsulated data the number of items
(basic offset table included) and the byte just past the sequence delimiter.
"""
import glob
import json
import os
import struct

import pydicom
from pydicom.uid import RLELossless

HERE = os.path.dirname(os.path.abspath(__file__))
DATA = os.path.join(HERE, "..", "..", "..", "data", "dicom")
UNDEFINED = 0xFFFFFFFF


def items(path, offset):
    """Walks the encapsulated items from `offset`: (count, end past the delimiter)."""
    with open(path, "rb") as f:
        f.seek(offset)
        count = 0
        while True:
            group, element, length = struct.unpack("<HHI", f.read(8))
            if (group, element) == (0xFFFE, 0xE0DD):
                return count, f.tell()
            assert (group, element) == (0xFFFE, 0xE000), hex(element)
            f.seek(length, 1)
            count += 1


def describe(path, name):
    ds = pydicom.dcmread(path, defer_size=0)
    raw = ds._dict[0x7FE00010]
    row = {
        "file": name,
        "size": os.path.getsize(path),
        "transfer_syntax": str(ds.file_meta.TransferSyntaxUID),
        "value_offset": raw.value_tell,
        "declared_length": raw.length,
    }
    if raw.length == UNDEFINED:
        row["items"], row["end"] = items(path, raw.value_tell)
    return row


def main():
    files = sorted(glob.glob(os.path.join(DATA, "*.dcm")))
    files += sorted(glob.glob(os.path.join(DATA, "ct2_series", "*")))
    rows = [describe(f, os.path.relpath(f, DATA)) for f in files]

    rle = os.path.join(HERE, "ct_small_rle.dcm")
    ds = pydicom.dcmread(os.path.join(DATA, "CT_small.dcm"))
    native = ds.pixel_array.copy()
    ds.compress(RLELossless)
    ds.save_as(rle, enforce_file_format=True)
    assert (pydicom.dcmread(rle).pixel_array == native).all()
    rows.append(describe(rle, "../../tests/reference/dicom/ct_small_rle.dcm"))

    with open(os.path.join(HERE, "pixel_data.json"), "w") as out:
        json.dump(rows, out, indent=1)
        out.write("\n")
    for r in rows:
        print(r)


if __name__ == "__main__":
    main()
