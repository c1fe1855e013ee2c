#!/usr/bin/env python3
"""Compute PyRadiomics v3.0.1 reference features for rgdb (extra configurations).

Run with a Python that has PyRadiomics 3.0.1 (and its SimpleITK, numpy):

    python tests/reference/radiomics/tools/make_pyradiomics301_reference.py [--data DIR] [--only NAME]

--data is the shared data folder (default: ../shared/data next to the repository, i.e. the folder
that holds radiomics/pyradiomics_testcases/ and radiomics/ibsi1/). Paths are otherwise resolved
relative to this file. Conventions follow shared/data/radiomics/tools/make_pyradiomics_reference.py:
one CSV per configuration in PyRadiomics' batch layout (one row per case; the input columns ID,
Image, Mask, Label, then the diagnostics_* columns, then the features in PyRadiomics' order),
values as full-precision repr(float), an empty cell where PyRadiomics did not compute a feature for
that row. Image/Mask paths are relative to the shared data folder for shared inputs, and relative
to the output folder (pyradiomics301/) for the derived masks this script writes there.

Outputs in tests/reference/radiomics/pyradiomics301/ (the parameter files are tools/params/*.yaml):

  brain1_label_slice.nrrd          brain1 label, only the axial slice (numpy axis 0, z) with most label voxels
  brain1_label_slice_dim1.nrrd     brain1 label, only the y index (numpy axis 1) with most label voxels
  brain1_label_slice_dim2.nrrd     brain1 label, only the x index (numpy axis 2) with most label voxels
  digital_phantom_mask_slice.nii.gz IBSI digital phantom mask, only the z slice with most ROI voxels
  brain2_label_shifted.nrrd        brain2 label with its origin moved by +0.3 voxel along the image x axis
  brain2_label_shifted07.nrrd      the same moved by +0.7 voxel (extra)
  default.csv                      a. default.yaml (binWidth 25), brain1, brain2, breast1
  distances123.csv                 b. distances123.yaml
  precrop_pad.csv                  c. precrop_pad.yaml
  shape2d.csv                      d. shape2d_dim{0,1,2}.yaml (force2D, + shape2D) on the one-slice masks;
                                      digital phantom with shape2d_dim0.yaml and shape2d_dim0_binwidth1.yaml
  minroi.csv                       e. minroi.yaml (cases refused are in errors.csv)
  correctmask.csv                  f. correctmask.yaml on brain2 + shifted labels (correctMask off: errors.csv)
  resegment_sigma.csv              g. resegment_sigma.yaml (brain1, breast1, brain2), resegment_absolute.yaml
                                      (brain2); extras resegment_sigma_pm3.yaml, resegment_sigma_lower1.yaml
  gldm_a_weighting.csv             h. gldm_a_weighting.yaml
  normalize_outliers.csv           i. normalize_outliers.yaml
  errors.csv                       every case PyRadiomics refused: exception type and text
  make_pyradiomics301_reference.log PyRadiomics warnings/errors of the last run
  (j. binCount 32 with label 2: skipped, no test case label map contains label 2; the script checks.)
"""
import argparse
import csv
import logging
import os
import sys
import traceback
from collections import OrderedDict

import numpy as np
import SimpleITK as sitk

import radiomics
from radiomics import featureextractor

TOOLS = os.path.dirname(os.path.abspath(__file__))
RADREF = os.path.dirname(TOOLS)                     # tests/reference/radiomics
REPO = os.path.dirname(os.path.dirname(os.path.dirname(RADREF)))
OUT = os.path.join(RADREF, "pyradiomics301")
PARAMS = os.path.join(TOOLS, "params")
DATA = os.path.join(os.path.dirname(REPO), "shared", "data")

log = logging.getLogger("make_reference")


def rel(path):
    """Path for the CSV: relative to the shared data folder, or to OUT for derived files."""
    path = os.path.abspath(path)
    if path.startswith(OUT + os.sep):
        return os.path.relpath(path, OUT)
    if path.startswith(DATA + os.sep):
        return os.path.relpath(path, DATA)
    return path


def fmt(v):
    if isinstance(v, (np.ndarray, np.generic)) and np.ndim(v) == 0:
        v = v.item()
    if isinstance(v, float):
        return repr(v)
    return str(v)


# ---------------------------------------------------------------------------------------------
# derived masks
# ---------------------------------------------------------------------------------------------
def single_slice_mask(src, dst, axis, label=1):
    """Keep only the label voxels on the index of numpy axis `axis` (0 = z, 1 = y, 2 = x) with the
    most label voxels (first such index on ties); same pixel type and geometry as `src`."""
    im = sitk.ReadImage(src)
    a = sitk.GetArrayFromImage(im)
    counts = (a == label).sum(axis=tuple(i for i in range(3) if i != axis))
    k = int(np.argmax(counts))
    out = np.zeros_like(a)
    sl = [slice(None)] * 3
    sl[axis] = k
    out[tuple(sl)] = a[tuple(sl)] * (a[tuple(sl)] == label)
    img = sitk.GetImageFromArray(out)
    img.CopyInformation(im)
    sitk.WriteImage(img, dst, True)
    log.info("%s: numpy axis %d index %d kept (%d of %d label voxels; per-index counts %s) -> %s",
             rel(src), axis, k, int(counts[k]), int(counts.sum()), counts.tolist(), rel(dst))
    return dst


def shifted_mask(src, dst, frac=0.3):
    """Copy of `src` with its origin moved by `frac` of a voxel along the image's first (x) axis."""
    im = sitk.ReadImage(src)
    d = np.array(im.GetDirection()).reshape(3, 3)
    origin = np.array(im.GetOrigin()) + frac * im.GetSpacing()[0] * d[:, 0]
    out = sitk.Image(im)
    out.SetOrigin(tuple(float(v) for v in origin))
    sitk.WriteImage(out, dst, True)
    log.info("%s: origin %s -> %s -> %s", rel(src), im.GetOrigin(), out.GetOrigin(), rel(dst))
    return dst


# ---------------------------------------------------------------------------------------------
# extraction
# ---------------------------------------------------------------------------------------------
def run_config(csv_name, cases, errors):
    """cases: list of (ID, image path, mask path, params yaml name, label)."""
    csv_path = os.path.join(OUT, csv_name)
    extractors = {}
    rows = []
    for case_id, image, mask, params, label in cases:
        if params not in extractors:
            extractors[params] = featureextractor.RadiomicsFeatureExtractor(os.path.join(PARAMS, params))
        extractor = extractors[params]
        log.info("== %s: %s with params/%s (label %s)", csv_name, case_id, params, label)
        try:
            result = extractor.execute(image, mask, label=label)
        except Exception as e:  # record, do not invent
            log.error("%s / %s failed: %s", case_id, params, e)
            errors.append({"csv": csv_name, "ID": case_id, "Image": rel(image), "Mask": rel(mask),
                           "setting": "params/" + params, "error": f"{type(e).__name__}: {e}".strip(),
                           "where": traceback.format_exc().strip().splitlines()[-3].strip()})
            continue
        row = OrderedDict([("ID", case_id), ("Image", rel(image)), ("Mask", rel(mask)), ("Label", label)])
        for k, v in result.items():
            row[k] = fmt(v)
        rows.append(row)
    header = []
    for r in rows:
        for k in r:
            if k not in header:
                header.append(k)
    if rows:
        with open(csv_path, "w", newline="") as f:
            w = csv.DictWriter(f, fieldnames=header, lineterminator="\n", restval="")
            w.writeheader()
            w.writerows(rows)
        log.info("wrote %s: %d rows x %d columns", csv_name, len(rows), len(header))
    elif os.path.exists(csv_path):
        os.remove(csv_path)


def main():
    global DATA
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", default=DATA, help="shared data folder (holds radiomics/), default %(default)s")
    ap.add_argument("--only", default=None, help="run only the CSVs whose name contains this string")
    args = ap.parse_args()
    DATA = os.path.abspath(args.data)

    os.makedirs(OUT, exist_ok=True)
    handler = logging.FileHandler(os.path.join(OUT, "make_pyradiomics301_reference.log"), mode="w")
    handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
    for name in ("radiomics", "make_reference"):
        lg = logging.getLogger(name)
        lg.addHandler(handler)
        lg.setLevel(logging.INFO if name == "make_reference" else logging.WARNING)
    radiomics.setVerbosity(logging.ERROR)  # console: errors only
    log.addHandler(logging.StreamHandler(sys.stderr))
    log.info("PyRadiomics %s, SimpleITK %s, numpy %s, Python %s", radiomics.__version__,
             sitk.Version_VersionString(), np.__version__, sys.version.split()[0])

    tc = os.path.join(DATA, "radiomics", "pyradiomics_testcases")
    img = lambda c: os.path.join(tc, f"{c}_image.nrrd")  # noqa: E731
    lab = lambda c: os.path.join(tc, f"{c}_label.nrrd")  # noqa: E731
    dig_img = os.path.join(DATA, "radiomics", "ibsi1", "digital_phantom", "image.nii.gz")
    dig_mask = os.path.join(DATA, "radiomics", "ibsi1", "digital_phantom", "mask.nii.gz")
    three = ["brain1", "brain2", "breast1"]

    # derived masks (BSD-3 / CC BY 4.0 derived; written into OUT)
    o = lambda name: os.path.join(OUT, name)  # noqa: E731
    b1_slice = single_slice_mask(lab("brain1"), o("brain1_label_slice.nrrd"), 0)
    b1_dim1 = single_slice_mask(lab("brain1"), o("brain1_label_slice_dim1.nrrd"), 1)
    b1_dim2 = single_slice_mask(lab("brain1"), o("brain1_label_slice_dim2.nrrd"), 2)
    dig_slice = single_slice_mask(dig_mask, o("digital_phantom_mask_slice.nii.gz"), 0)
    b2_shift = shifted_mask(lab("brain2"), o("brain2_label_shifted.nrrd"), 0.3)
    b2_shift07 = shifted_mask(lab("brain2"), o("brain2_label_shifted07.nrrd"), 0.7)

    # j. binCount 32 with label 2: only if some test-case label map has label 2
    with_label2 = [c for c in three if (sitk.GetArrayFromImage(sitk.ReadImage(lab(c))) == 2).any()]
    log.info("label maps containing label 2: %s", with_label2 or "none (configuration j skipped)")

    jobs = [
        ("default.csv", [(c, img(c), lab(c), "default.yaml", 1) for c in three]),
        ("distances123.csv", [(c, img(c), lab(c), "distances123.yaml", 1) for c in three]),
        ("precrop_pad.csv", [(c, img(c), lab(c), "precrop_pad.yaml", 1) for c in three]),
        ("shape2d.csv", [
            ("brain1_slice_dim0", img("brain1"), b1_slice, "shape2d_dim0.yaml", 1),
            ("brain1_slice_dim1", img("brain1"), b1_dim1, "shape2d_dim1.yaml", 1),
            ("brain1_slice_dim2", img("brain1"), b1_dim2, "shape2d_dim2.yaml", 1),
            ("digital_phantom_slice_dim0", dig_img, dig_slice, "shape2d_dim0.yaml", 1),
            ("digital_phantom_slice_dim0_binwidth1", dig_img, dig_slice, "shape2d_dim0_binwidth1.yaml", 1),
        ]),
        ("minroi.csv", [(c, img(c), lab(c), "minroi.yaml", 1) for c in three]),
        ("correctmask.csv", [
            ("brain2_shifted_correctMask", img("brain2"), b2_shift, "correctmask.yaml", 1),
            ("brain2_shifted_no_correctMask", img("brain2"), b2_shift, "correctmask_off.yaml", 1),
            # extra: a 0.7-voxel shift, which nearest-neighbour resampling turns into a 1-voxel shift
            ("brain2_shifted07_correctMask", img("brain2"), b2_shift07, "correctmask.yaml", 1),
        ]),
        ("resegment_sigma.csv", [
            ("brain1_sigma3", img("brain1"), lab("brain1"), "resegment_sigma.yaml", 1),
            ("breast1_sigma3", img("breast1"), lab("breast1"), "resegment_sigma.yaml", 1),
            ("brain2_absolute-100", img("brain2"), lab("brain2"), "resegment_absolute.yaml", 1),
            # extras: [3] on brain2 (keeps 2 voxels), [-3, 3] and the lower bound [1] on all three
            ("brain2_sigma3", img("brain2"), lab("brain2"), "resegment_sigma.yaml", 1),
        ] + [(f"{c}_sigma-3_3", img(c), lab(c), "resegment_sigma_pm3.yaml", 1) for c in three]
          + [(f"{c}_sigma1", img(c), lab(c), "resegment_sigma_lower1.yaml", 1) for c in three]),
        ("gldm_a_weighting.csv", [(c, img(c), lab(c), "gldm_a_weighting.yaml", 1) for c in three]),
        ("normalize_outliers.csv", [(c, img(c), lab(c), "normalize_outliers.yaml", 1) for c in three]),
    ]
    if with_label2:
        jobs.append(("bincount32_label2.csv", [(c, img(c), lab(c), "bincount32_label2.yaml", 2) for c in with_label2]))

    errors = []
    for csv_name, cases in jobs:
        if args.only and args.only not in csv_name:
            continue
        run_config(csv_name, cases, errors)

    with open(os.path.join(OUT, "errors.csv"), "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=["csv", "ID", "Image", "Mask", "setting", "error", "where"],
                           lineterminator="\n")
        w.writeheader()
        w.writerows(errors)
    log.info("%d refused case(s), see errors.csv", len(errors))


if __name__ == "__main__":
    main()
