#!/usr/bin/env python3
"""PyRadiomics v3.0.1 shape2D values for the unit tests of rgdb's src/radiomics/shape2d.rs.

Run with a Python that has PyRadiomics 3.0.1 (and its SimpleITK, numpy):

    python tests/reference/radiomics/tools/shape2d_reference.py [--data DIR] [--rust]

--data is the shared data folder (default: ../shared/data next to the repository, i.e. the folder
that holds radiomics/pyradiomics_testcases/). Each case is a 2-D mask (rows of '#' inside, '.'
outside, numpy's (row, column) order) and its (row, column) pixel spacing. The script builds a
3-D SimpleITK image of one slice (spacing (column, row, 1)), crops it to the region's bounding box
(as featureextractor.computeShape does) and runs radiomics.shape2D.RadiomicsShape2D on it with
force2D=True, force2Ddimension=0, every feature enabled (SphericalDisproportion too). It prints,
per case, the mask and the ten values as repr(float); with --rust, the Rust literals the unit
tests hold instead.

The real cases are the axial slice (numpy axis 0) with most voxels of label 1 in brain1_label.nrrd
and breast1_label.nrrd, and, for brain1, the sagittal plane (numpy axis 2, x) with most label
voxels: a (z, y) mask with spacing (6.5, 0.78125), anisotropic.

The values are PyRadiomics' own: computeShape is not called (in v3.0.1 it runs shape2D only when
the bounding box's size along SimpleITK axis force2Ddimension, i.e. x for 0, is > 1, and skips it
otherwise), and checkMask is not called (its minimumROIDimensions=2 refuses the one-row case).
"""
import argparse
import logging
import math
import os

import numpy
import SimpleITK as sitk

import radiomics
from radiomics import shape2D

NAMES = ["Elongation", "MajorAxisLength", "MaximumDiameter", "MeshSurface", "MinorAxisLength",
         "Perimeter", "PerimeterSurfaceRatio", "PixelSurface", "Sphericity",
         "SphericalDisproportion"]

SYNTHETIC = [
    ("row", ["#####"], (1.0, 1.0)),
    ("square3", ["###", "###", "###"], (1.0, 1.0)),
    ("l_shape", ["#..", "#..", "###"], (1.0, 1.0)),
    ("l_shape_anisotropic", ["#..", "#..", "###"], (1.3, 0.7)),
    ("single", ["#"], (1.0, 1.0)),
    ("diagonal", ["#...", ".#..", "..#.", "...#"], (1.0, 1.0)),
    ("ring", ["###", "#.#", "###"], (1.0, 1.0)),
    ("checker", ["#.#", ".#.", "#.#"], (0.5, 2.0)),
]


def rows_of(mask):
    return ["".join("#" if v else "." for v in row) for row in mask]


def crop(mask):
    r = numpy.where(mask.any(axis=1))[0]
    c = numpy.where(mask.any(axis=0))[0]
    return mask[r.min():r.max() + 1, c.min():c.max() + 1]


def real_cases(data):
    folder = os.path.join(data, "radiomics", "pyradiomics_testcases")
    cases = []
    for name in ["brain1", "breast1"]:
        label = sitk.ReadImage(os.path.join(folder, name + "_label.nrrd"))
        inside = sitk.GetArrayFromImage(label) == 1
        sx, sy, sz = label.GetSpacing()
        z = int(numpy.argmax(inside.sum(axis=(1, 2))))
        cases.append(("%s_axial_z%d" % (name, z), rows_of(crop(inside[z])), (sy, sx)))
        if name == "brain1":
            x = int(numpy.argmax(inside.sum(axis=(0, 1))))
            cases.append(("%s_sagittal_x%d" % (name, x), rows_of(crop(inside[:, :, x])), (sz, sy)))
    return cases


def shape2d(rows, spacing):
    mask = numpy.array([[c == "#" for c in row] for row in rows], dtype=numpy.uint8)[None, :, :]
    mask_image = sitk.GetImageFromArray(mask)
    mask_image.SetSpacing((spacing[1], spacing[0], 1.0))
    image = sitk.GetImageFromArray(numpy.zeros(mask.shape, dtype=numpy.float64))
    image.CopyInformation(mask_image)
    features = shape2D.RadiomicsShape2D(image, mask_image, label=1, force2D=True, force2Ddimension=0)
    for name in NAMES:
        features.enableFeatureByName(name)
    values = features.execute()
    return [float(values[name]) for name in NAMES]


def rust_float(v):
    if math.isnan(v):
        return "f64::NAN"
    text = repr(v)
    return text if ("." in text or "e" in text) else text + ".0"


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default=None, help="the shared data folder")
    parser.add_argument("--rust", action="store_true", help="print Rust literals")
    args = parser.parse_args()
    data = args.data
    if data is None:
        # tests/reference/radiomics/tools -> the repository -> ../shared/data
        repo = os.path.abspath(os.path.join(here, "..", "..", "..", ".."))
        data = os.path.join(os.path.dirname(repo), "shared", "data")
        if not os.path.isdir(data):
            data = "/work/shared/data"
    radiomics.setVerbosity(logging.ERROR)
    numpy.seterr(all="ignore")
    print("// PyRadiomics %s, numpy %s, SimpleITK %s" % (radiomics.__version__, numpy.__version__,
                                                       sitk.Version_VersionString()))
    for name, rows, spacing in SYNTHETIC + real_cases(data):
        values = shape2d(rows, spacing)
        if args.rust:
            print("Case {")
            print("    name: \"%s\"," % name)
            print("    rows: &[")
            for row in rows:
                print('        "%s",' % row)
            print("    ],")
            print("    spacing: [%s, %s]," % (rust_float(spacing[0]), rust_float(spacing[1])))
            print("    values: [%s]," % ", ".join(rust_float(v) for v in values))
            print("},")
        else:
            print("%s spacing=%r" % (name, spacing))
            for row in rows:
                print("  " + row)
            for n, v in zip(NAMES, values):
                print("  %s = %r" % (n, v))


if __name__ == "__main__":
    main()
