#!/usr/bin/env python3
"""Whether two rgdb binaries give the same `rgdb radiomics` output, bit for bit (stdout, stderr and
exit code), over every parameter file of tests/reference/radiomics/tools/params and
../shared/data/radiomics/pyradiomics_reference/params × 11 image-mask pairs (brain1, brain2,
breast1; the one-slice and shifted masks; both IBSI phantoms): the check that a speed change moved
no number.

    python3 benches/radiomics/same_output.py OLD_BINARY NEW_BINARY [--data DIR]
"""
import argparse, itertools, os, subprocess, sys

p = argparse.ArgumentParser()
p.add_argument("old")
p.add_argument("new")
here = os.path.dirname(os.path.abspath(__file__))
p.add_argument("--data", default=os.path.join(here, "../../../shared/data/radiomics"))
a = p.parse_args()
R = os.path.join(here, "../../tests/reference/radiomics")
S = os.path.abspath(a.data)
T = f"{S}/pyradiomics_testcases"
cases = [(f"{T}/{c}_image.nrrd", f"{T}/{c}_label.nrrd") for c in ["brain1", "brain2", "breast1"]]
cases += [(f"{T}/brain1_image.nrrd", f"{R}/pyradiomics301/brain1_label_slice{d}.nrrd") for d in ["", "_dim1", "_dim2"]]
cases += [(f"{T}/brain2_image.nrrd", f"{R}/pyradiomics301/brain2_label_shifted{f}.nrrd") for f in ["", "07"]]
cases += [(f"{R}/ibsi1/digital_phantom/image.nii.gz", f"{R}/ibsi1/digital_phantom/mask.nii.gz"),
          (f"{R}/ibsi1/digital_phantom/image.nii.gz", f"{R}/pyradiomics301/digital_phantom_mask_slice.nii.gz"),
          (f"{S}/ibsi1/ct_phantom/nifti/image.nii.gz", f"{S}/ibsi1/ct_phantom/nifti/mask.nii.gz")]
params = [f"{R}/tools/params/{f}" for f in sorted(os.listdir(f"{R}/tools/params")) if f.endswith(".yaml")]
params += [f"{S}/pyradiomics_reference/params/{f}" for f in sorted(os.listdir(f"{S}/pyradiomics_reference/params"))]
same = different = 0
for param, (image, mask) in itertools.product(params, cases):
    run = lambda binary: subprocess.run([binary, "radiomics", "--params", param, image, mask], capture_output=True)
    old, new = run(a.old), run(a.new)
    if (old.returncode, old.stdout, old.stderr) == (new.returncode, new.stdout, new.stderr):
        same += 1
    else:
        different += 1
        print("DIFFERENT", *(os.path.basename(x) for x in (param, image, mask)), old.returncode, new.returncode)
print(f"same {same}, different {different}")
sys.exit(1 if different else 0)
