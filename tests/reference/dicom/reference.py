#!/usr/bin/env python3
"""Independent reference values for the DICOM files in /work/shared/data/dicom.

Writes reference_full.json beside this script and prints human-readable derivations;
reference.json is the same values reduced to the fields tests/integration/dicom.rs uses.
Run with pydicom 3 and numpy: `python3 tests/reference/dicom/reference.py`.
Bit-packed SEG pixel data is decoded by hand with numpy (little-endian bit
order, packed continuously across frame boundaries) and cross-checked against
pydicom's pixel_array.
"""
import glob
import json
import os
import sys

import numpy as np
import pydicom

HERE = os.path.dirname(os.path.abspath(__file__))
DATA = os.path.join(HERE, "..", "..", "..", "data", "dicom")
OUT = os.path.join(HERE, "reference_full.json")
SEG_SOP_CLASS = "1.2.840.10008.5.1.4.1.1.66.4"


def conv(v):
    """Convert a pydicom value to plain JSON types (None stays None)."""
    if v is None:
        return None
    if isinstance(v, pydicom.multival.MultiValue) or isinstance(v, (list, tuple)):
        return [conv(x) for x in v]
    if isinstance(v, pydicom.valuerep.DSfloat) or isinstance(v, pydicom.valuerep.DSdecimal):
        return float(v)
    if isinstance(v, pydicom.valuerep.IS):
        return int(v)
    if isinstance(v, (int, float, str)):
        return v
    if isinstance(v, bytes):
        return v.decode("ascii", "replace")
    return str(v)


def get(ds, kw):
    """Value of keyword kw, or None if absent or empty."""
    if ds is None or kw not in ds:
        return None
    v = ds.get(kw)
    if v is None or v == "":
        return None
    return conv(v)


def first(seq_ds, kw):
    """Item 0 of a sequence, or None."""
    if seq_ds is None or kw not in seq_ds:
        return None
    seq = seq_ds.get(kw)
    return seq[0] if seq is not None and len(seq) > 0 else None


def code(item):
    if item is None:
        return None
    return {
        "CodeValue": get(item, "CodeValue"),
        "CodingSchemeDesignator": get(item, "CodingSchemeDesignator"),
        "CodeMeaning": get(item, "CodeMeaning"),
    }


def list_files():
    files = sorted(glob.glob(os.path.join(DATA, "*.dcm")))
    files += sorted(glob.glob(os.path.join(DATA, "ct2_series", "*")))
    return files


def rel(path):
    return os.path.relpath(path, DATA)


COMMON = [
    "SOPClassUID", "SOPInstanceUID", "Modality", "PatientID", "StudyInstanceUID",
    "SeriesInstanceUID", "SeriesDescription", "StudyDate", "Manufacturer",
    "ManufacturerModelName", "SliceThickness", "SpacingBetweenSlices", "PixelSpacing",
    "Rows", "Columns", "KVP", "XRayTubeCurrent", "ConvolutionKernel", "NumberOfFrames",
    "AcquisitionTime",
]
# Extra, cheap attributes that help ordering / pixel checks.
EXTRA = [
    "InstanceNumber", "ImagePositionPatient", "SliceLocation", "BitsAllocated",
    "PixelRepresentation", "RescaleIntercept", "RescaleSlope",
]


def common_attrs(path, ds):
    d = {"file": rel(path), "TransferSyntaxUID": str(ds.file_meta.TransferSyntaxUID)}
    for kw in COMMON:
        d[kw] = get(ds, kw)
    rp = None
    if "RadiopharmaceuticalInformationSequence" in ds:
        rp = []
        for it in ds.RadiopharmaceuticalInformationSequence:
            rp.append({
                "Radiopharmaceutical": get(it, "Radiopharmaceutical"),
                "RadionuclideTotalDose": get(it, "RadionuclideTotalDose"),
                "RadiopharmaceuticalStartTime": get(it, "RadiopharmaceuticalStartTime"),
            })
    d["RadiopharmaceuticalInformationSequence"] = rp
    extra = {kw: get(ds, kw) for kw in EXTRA}
    if "PixelData" in ds:
        extra["PixelDataLength"] = len(ds.PixelData)
    d["extra"] = extra
    return d


def frame_groups(ds, i):
    """(per-frame item i or None, shared item 0 or None)."""
    pf = None
    if "PerFrameFunctionalGroupsSequence" in ds and i < len(ds.PerFrameFunctionalGroupsSequence):
        pf = ds.PerFrameFunctionalGroupsSequence[i]
    sh = first(ds, "SharedFunctionalGroupsSequence")
    return pf, sh


def frame_segment_number(ds, i):
    pf, sh = frame_groups(ds, i)
    for grp, where in ((pf, "per-frame"), (sh, "shared")):
        it = first(grp, "SegmentIdentificationSequence")
        if it is not None and "ReferencedSegmentNumber" in it:
            return int(it.ReferencedSegmentNumber), where
    return None, None


def frame_z(ds, i):
    pf, sh = frame_groups(ds, i)
    for grp in (pf, sh):
        pp = first(grp, "PlanePositionSequence")
        if pp is not None and "ImagePositionPatient" in pp:
            return float(pp.ImagePositionPatient[2])
    return None


def frame_ref_uids(ds, i):
    pf, _ = frame_groups(ds, i)
    uids = []
    if pf is None:
        return uids
    for der in pf.get("DerivationImageSequence", []) or []:
        for src in der.get("SourceImageSequence", []) or []:
            if "ReferencedSOPInstanceUID" in src:
                uids.append(str(src.ReferencedSOPInstanceUID))
    return uids


def pixel_measures(ds):
    """PixelSpacing/SliceThickness/SpacingBetweenSlices, shared first then per-frame."""
    res = {"PixelSpacing": None, "SliceThickness": None, "SpacingBetweenSlices": None}
    src = {}
    sh = first(ds, "SharedFunctionalGroupsSequence")
    pm = first(sh, "PixelMeasuresSequence")
    if pm is not None:
        for k in res:
            v = get(pm, k)
            if v is not None:
                res[k] = v
                src[k] = "SharedFunctionalGroupsSequence[0].PixelMeasuresSequence[0]"
    if "PerFrameFunctionalGroupsSequence" in ds:
        for k in res:
            if res[k] is not None:
                continue
            vals = []
            for it in ds.PerFrameFunctionalGroupsSequence:
                pm = first(it, "PixelMeasuresSequence")
                v = get(pm, k) if pm is not None else None
                if v is not None:
                    vals.append(v)
            if vals:
                res[k] = vals[0]
                src[k] = "PerFrameFunctionalGroupsSequence[0].PixelMeasuresSequence[0]"
                if any(v != vals[0] for v in vals):
                    src[k] += " (WARNING: differs between frames)"
    res["source"] = src
    return res


def decode_manual(ds, n_frames):
    rows, cols = int(ds.Rows), int(ds.Columns)
    raw = np.frombuffer(bytes(ds.PixelData), dtype=np.uint8)
    bits_alloc = int(ds.BitsAllocated)
    if bits_alloc == 1:
        bits = np.unpackbits(raw, bitorder="little")
        need = rows * cols * n_frames
        trailing = bits[need:]
        arr = bits[:need].reshape(n_frames, rows, cols)
        return arr, int(trailing.sum())
    if bits_alloc == 8:
        need = rows * cols * n_frames
        return raw[:need].reshape(n_frames, rows, cols), int(raw[need:].astype(np.int64).sum())
    raise ValueError(f"unsupported BitsAllocated {bits_alloc}")


def seg_info(path, ds, notes):
    name = rel(path)
    rows, cols = int(ds.Rows), int(ds.Columns)
    bits_alloc = int(ds.BitsAllocated)
    seg_type = get(ds, "SegmentationType")
    max_frac = get(ds, "MaximumFractionalValue") if seg_type == "FRACTIONAL" else None
    pd_len = len(ds.PixelData)
    n_pf = len(ds.PerFrameFunctionalGroupsSequence) if "PerFrameFunctionalGroupsSequence" in ds else None

    # Frame count from pixel data length.
    if bits_alloc == 1:
        inferred = (pd_len * 8) // (rows * cols)
    else:
        inferred = pd_len // (rows * cols * (bits_alloc // 8))
    nof = get(ds, "NumberOfFrames")
    n_frames = nof if nof is not None else inferred
    if nof is None:
        notes.append(f"{name}: NumberOfFrames is absent; inferred {inferred} frame(s) from PixelData length "
                     f"{pd_len} bytes ({pd_len * 8} bits / {rows}x{cols}).")
    elif nof != inferred:
        notes.append(f"{name}: NumberOfFrames={nof} but PixelData length {pd_len} implies {inferred}.")
    if bits_alloc == 1:
        exp_len = (rows * cols * n_frames + 7) // 8
        exp_len += exp_len % 2
    else:
        exp_len = rows * cols * n_frames * (bits_alloc // 8)
        exp_len += exp_len % 2
    if exp_len != pd_len:
        notes.append(f"{name}: PixelData is {pd_len} bytes, expected {exp_len} for {n_frames} frame(s).")
    if n_pf is not None and n_pf != n_frames:
        notes.append(f"{name}: PerFrameFunctionalGroupsSequence has {n_pf} items but the pixel data holds "
                     f"{n_frames} frame(s); only the first {min(n_pf, n_frames)} item(s) describe real frames.")

    segs = []
    for it in ds.SegmentSequence:
        segs.append({
            "SegmentNumber": get(it, "SegmentNumber"),
            "SegmentLabel": get(it, "SegmentLabel"),
            "SegmentAlgorithmType": get(it, "SegmentAlgorithmType"),
            "SegmentAlgorithmName": get(it, "SegmentAlgorithmName"),
            "SegmentedPropertyCategoryCode": code(first(it, "SegmentedPropertyCategoryCodeSequence")),
            "SegmentedPropertyTypeCode": code(first(it, "SegmentedPropertyTypeCodeSequence")),
        })

    frames = []
    seg_src_set = set()
    for i in range(n_pf if n_pf is not None else n_frames):
        sn, where = frame_segment_number(ds, i)
        seg_src_set.add(where)
        frames.append({
            "index": i,
            "ReferencedSegmentNumber": sn,
            "segment_number_from": where,
            "ReferencedSOPInstanceUIDs": frame_ref_uids(ds, i),
            "has_pixel_data": i < n_frames,
            "ImagePositionPatient_z": frame_z(ds, i),
        })
    if "shared" in seg_src_set:
        notes.append(f"{name}: SegmentIdentificationSequence is in SharedFunctionalGroupsSequence, "
                     f"not per frame; per-frame segment number must fall back to the shared group.")

    ref_series = None
    rs = first(ds, "ReferencedSeriesSequence")
    if rs is not None:
        ref_series = get(rs, "SeriesInstanceUID")
    ref_series_instances = []
    if rs is not None and "ReferencedInstanceSequence" in rs:
        ref_series_instances = [str(x.ReferencedSOPInstanceUID) for x in rs.ReferencedInstanceSequence]

    pm = pixel_measures(ds)
    ps = pm["PixelSpacing"]
    if pm["SliceThickness"] is not None:
        thick, thick_src = pm["SliceThickness"], "SliceThickness"
    elif pm["SpacingBetweenSlices"] is not None:
        thick, thick_src = pm["SpacingBetweenSlices"], "SpacingBetweenSlices (SliceThickness missing)"
    else:
        thick, thick_src = None, "none"
    voxel_vol = ps[0] * ps[1] * thick if (ps is not None and thick is not None) else None

    # Decode.
    arr, trailing_nonzero = decode_manual(ds, n_frames)
    if trailing_nonzero:
        notes.append(f"{name}: {trailing_nonzero} non-zero padding bit(s)/byte(s) after the last frame.")

    # Cross-check with pydicom.
    xcheck = {"ok": None, "detail": None}
    try:
        pa = ds.pixel_array
        pa3 = pa.reshape((-1, rows, cols)) if pa.ndim == 2 else pa
        if pa3.shape != arr.shape:
            xcheck = {"ok": False, "detail": f"shape pydicom {list(pa3.shape)} vs manual {list(arr.shape)}"}
        elif not np.array_equal(pa3.astype(np.int64), arr.astype(np.int64)):
            nd = int((pa3.astype(np.int64) != arr.astype(np.int64)).sum())
            xcheck = {"ok": False, "detail": f"{nd} voxels differ"}
        else:
            xcheck = {"ok": True, "detail": f"pydicom pixel_array shape {list(pa.shape)} identical"}
    except Exception as e:  # noqa
        xcheck = {"ok": None, "detail": f"pydicom could not decode: {type(e).__name__}: {e}"}
    if xcheck["ok"] is False:
        notes.append(f"{name}: manual decode disagrees with pydicom: {xcheck['detail']}")

    popcount = None
    if bits_alloc == 1:
        popcount = int(sum(bin(b).count("1") for b in bytes(ds.PixelData)))
        if (rows * cols) % 8 == 0:
            notes.append(f"{name}: {rows}x{cols} = {rows * cols} bits per frame is a multiple of 8, so no frame "
                         f"starts mid-byte; this file does not exercise cross-frame bit packing.")
    zs = [f["ImagePositionPatient_z"] for f in frames if f["has_pixel_data"]]
    if len(zs) > 1 and None not in zs:
        gaps = [round(b - a, 6) for a, b in zip(zs, zs[1:])]
        notes.append(f"{name}: frame z positions in file order {zs} (steps {gaps}).")

    per_seg = []
    masks = {}
    for s in segs:
        num = s["SegmentNumber"]
        idx = [f["index"] for f in frames if f["ReferencedSegmentNumber"] == num and f["has_pixel_data"]]
        sub = arr[idx] if idx else np.zeros((0, rows, cols), dtype=arr.dtype)
        r = {"SegmentNumber": num, "SegmentLabel": s["SegmentLabel"], "frames": idx}
        if seg_type == "FRACTIONAL":
            thr = 0.5 * max_frac
            mask = sub.astype(np.float64) >= thr
            r["threshold"] = f">= 0.5 * MaximumFractionalValue = {thr}"
            r["count_ge_half"] = int(mask.sum())
            r["count_gt_0"] = int((sub > 0).sum())
            r["sum_values"] = int(sub.astype(np.int64).sum())
            r["fractional_voxel_sum"] = float(sub.astype(np.float64).sum() / max_frac)
            r["distinct_values"] = sorted(int(x) for x in np.unique(sub))
            count = r["count_ge_half"]
        else:
            mask = sub.astype(bool)
            count = int(mask.sum())
        r["voxel_count"] = count
        r["per_frame_counts"] = [int(m.sum()) for m in mask]
        if count:
            f_i, r_i, c_i = np.nonzero(mask)
            r["bbox"] = {
                "min_row": int(r_i.min()), "max_row": int(r_i.max()),
                "min_col": int(c_i.min()), "max_col": int(c_i.max()),
                "min_frame_within_segment": int(f_i.min()), "max_frame_within_segment": int(f_i.max()),
                "min_frame_absolute": int(idx[f_i.min()]), "max_frame_absolute": int(idx[f_i.max()]),
            }
        else:
            r["bbox"] = None
        r["voxel_volume_mm3"] = voxel_vol
        r["thickness_used"] = thick_src
        r["volume_mm3"] = count * voxel_vol if voxel_vol is not None else None
        if seg_type == "FRACTIONAL" and voxel_vol is not None:
            r["volume_mm3_gt_0"] = r["count_gt_0"] * voxel_vol
        per_seg.append(r)
        # Mask keyed by referenced SOP instance for overlap test.
        m = {}
        for k, fi in enumerate(idx):
            key = tuple(frames[fi]["ReferencedSOPInstanceUIDs"]) or (f"frame{fi}",)
            m[key] = mask[k]
        masks[num] = m

    overlaps = []
    nums = list(masks)
    for a in range(len(nums)):
        for b in range(a + 1, len(nums)):
            tot = 0
            for key, ma in masks[nums[a]].items():
                mb = masks[nums[b]].get(key)
                if mb is not None:
                    tot += int((ma & mb).sum())
            overlaps.append({"segments": [nums[a], nums[b]], "overlapping_voxels": tot})

    return {
        "file": name,
        "SegmentationType": seg_type,
        "SegmentationFractionalType": get(ds, "SegmentationFractionalType"),
        "MaximumFractionalValue": max_frac,
        "SegmentsOverlap": get(ds, "SegmentsOverlap"),
        "BitsAllocated": bits_alloc,
        "Rows": rows,
        "Columns": cols,
        "NumberOfFrames_attr": nof,
        "n_frames": n_frames,
        "n_frames_inferred_from_pixel_data": inferred,
        "n_per_frame_groups": n_pf,
        "PixelDataLength": pd_len,
        "expected_PixelDataLength": exp_len,
        "Segments": segs,
        "frames": frames,
        "ReferencedSeriesInstanceUID": ref_series,
        "ReferencedSeries_ReferencedInstanceUIDs": ref_series_instances,
        "pixel_measures": pm,
        "pydicom_crosscheck": xcheck,
        "total_popcount_of_PixelData_bytes": popcount,
        "per_segment": per_seg,
        "overlaps": overlaps,
    }, arr


def derivation(s):
    lines = []
    ps = s["pixel_measures"]["PixelSpacing"]
    st = s["pixel_measures"]["SliceThickness"]
    sbs = s["pixel_measures"]["SpacingBetweenSlices"]
    nf = s["n_frames"]
    src = "NumberOfFrames" if s["NumberOfFrames_attr"] is not None else "inferred from PixelData length"
    head = (f"{s['file']}: {s['SegmentationType']} ({s['BitsAllocated']}-bit), {nf} frame(s) of "
            f"{s['Rows']}x{s['Columns']} ({src}; PixelData {s['PixelDataLength']} bytes, "
            f"{s['n_per_frame_groups']} per-frame group item(s)), pixel spacing {ps[0]} x {ps[1]} mm, "
            f"slice thickness {st} mm, spacing between slices {sbs}")
    lines.append(head)
    for r in s["per_segment"]:
        thick = st if st is not None else sbs
        if s["SegmentationType"] == "FRACTIONAL":
            cnt = (f"{r['count_ge_half']} voxels >= {0.5 * s['MaximumFractionalValue']} "
                   f"({r['count_gt_0']} voxels > 0; values {r['distinct_values']})")
        else:
            cnt = f"{r['voxel_count']} set bits"
        lines.append(
            f"  segment {r['SegmentNumber']} '{r['SegmentLabel']}' in frames {r['frames']} has {cnt} "
            f"(per frame {r['per_frame_counts']}), bbox {fmt_bbox(r['bbox'])} "
            f"-> volume {r['voxel_count']}*{ps[0]}*{ps[1]}*{thick} = {r['volume_mm3']!r} mm^3"
            + (f" [>0: {r['volume_mm3_gt_0']!r} mm^3]" if 'volume_mm3_gt_0' in r else ""))
    for o in s["overlaps"]:
        lines.append(f"  overlap segments {o['segments']}: {o['overlapping_voxels']} voxels at the same source image")
    lines.append(f"  pydicom cross-check: {s['pydicom_crosscheck']['detail']}")
    return "\n".join(lines)


def fmt_bbox(b):
    if b is None:
        return "none"
    return (f"rows {b['min_row']}..{b['max_row']}, cols {b['min_col']}..{b['max_col']}, "
            f"frames(within segment) {b['min_frame_within_segment']}..{b['max_frame_within_segment']}")


def compact_json(obj, ind=0):
    """JSON with one level of indent per nesting, scalar-only lists/dicts on one line."""
    pad = " " * ind
    if isinstance(obj, dict):
        if all(not isinstance(v, (dict, list)) or (isinstance(v, list) and all(not isinstance(x, (dict, list)) for x in v))
               for v in obj.values()) and len(json.dumps(obj)) < 160:
            return json.dumps(obj)
        items = [f'{pad} {json.dumps(k)}: {compact_json(v, ind + 1)}' for k, v in obj.items()]
        return "{\n" + ",\n".join(items) + "\n" + pad + "}"
    if isinstance(obj, list):
        if all(not isinstance(x, (dict, list)) for x in obj) and len(json.dumps(obj)) < 200:
            return json.dumps(obj)
        items = [f"{pad} {compact_json(v, ind + 1)}" for v in obj]
        return "[\n" + ",\n".join(items) + "\n" + pad + "]"
    return json.dumps(obj)


def main():
    notes = []
    out = {"pydicom_version": pydicom.__version__, "numpy_version": np.__version__,
           "conventions": "all row/col/frame indices are 0-based; bbox *_frame_within_segment indexes that "
                          "segment's own frames in file order, *_frame_absolute indexes all frames of the file; "
                          "voxel volume = PixelSpacing[0]*PixelSpacing[1]*SliceThickness (SpacingBetweenSlices "
                          "if SliceThickness is missing); volume_mm3 = voxel_count * voxel volume",
           "files": [], "segs": [], "ct2_series": None, "derivations": [], "notes": notes}
    ct2 = []
    for path in list_files():
        ds = pydicom.dcmread(path)
        d = common_attrs(path, ds)
        out["files"].append(d)
        if d["SOPClassUID"] == SEG_SOP_CLASS:
            s, _ = seg_info(path, ds, notes)
            out["segs"].append(s)
            out["derivations"].append(derivation(s))
        else:
            pdl = d["extra"].get("PixelDataLength")
            exp = d["Rows"] * d["Columns"] * (d["extra"]["BitsAllocated"] // 8) * (d["NumberOfFrames"] or 1)
            if pdl != exp:
                notes.append(f"{d['file']}: PixelData {pdl} bytes, expected {exp}.")
        if rel(path).startswith("ct2_series/"):
            ct2.append(d)
        for kw in ("SeriesDescription", "SliceThickness", "PixelSpacing", "SpacingBetweenSlices"):
            if d.get(kw) is None and d["Modality"] != "SEG":
                notes.append(f"{d['file']}: {kw} is absent.")

    ct2_info = {
        "n_files": len(ct2),
        "order_by_filename": [c["file"] for c in ct2],
        "order_by_InstanceNumber": [c["file"] for c in sorted(ct2, key=lambda c: c["extra"]["InstanceNumber"])],
        "order_by_z": [c["file"] for c in sorted(ct2, key=lambda c: c["extra"]["ImagePositionPatient"][2])],
        "InstanceNumbers": [c["extra"]["InstanceNumber"] for c in ct2],
        "z_positions": [c["extra"]["ImagePositionPatient"][2] for c in ct2],
        "SOPInstanceUIDs": [c["SOPInstanceUID"] for c in ct2],
        "same_series": len({c["SeriesInstanceUID"] for c in ct2}) == 1,
    }
    zs = sorted(ct2_info["z_positions"])
    ct2_info["z_gaps"] = [round(b - a, 6) for a, b in zip(zs, zs[1:])]
    out["ct2_series"] = ct2_info

    # Which files do SEGs reference, and are those files present?
    present = {f["SOPInstanceUID"]: f["file"] for f in out["files"]}
    for s in out["segs"]:
        refs = []
        for fr in s["frames"]:
            refs += fr["ReferencedSOPInstanceUIDs"]
        s["referenced_files_present"] = {u: present.get(u) for u in dict.fromkeys(refs)}

    for s in out["segs"]:
        for o in s["overlaps"]:
            if o["overlapping_voxels"]:
                notes.append(f"{s['file']}: segments {o['segments']} overlap in {o['overlapping_voxels']} voxels "
                             f"(SegmentsOverlap={s['SegmentsOverlap']}).")
        missing = [u for u, f in s["referenced_files_present"].items() if f is None]
        if missing:
            notes.append(f"{s['file']}: {len(missing)} referenced source image(s) are not in the data dir.")
        if s["total_popcount_of_PixelData_bytes"] is not None:
            tot = sum(r["voxel_count"] for r in s["per_segment"])
            if tot != s["total_popcount_of_PixelData_bytes"]:
                notes.append(f"{s['file']}: popcount {s['total_popcount_of_PixelData_bytes']} != sum of segment counts {tot}.")
    with open(OUT, "w") as fh:
        fh.write(compact_json(out) + "\n")
    for d in out["derivations"]:
        print(d)
    print("\nNOTES:")
    for n in notes:
        print(" -", n)
    print(f"\nwrote {OUT}")


if __name__ == "__main__":
    sys.exit(main())
