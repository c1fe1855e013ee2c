#!/usr/bin/env python3
"""Record the exact output of PyRadiomics v3.0.1's command-line tool (`pyradiomics`) on the IBSI
digital phantom, so that `rgdb radiomics` can print the same layout.

Run with the Python of a venv that has PyRadiomics 3.0.1 installed (its `pyradiomics` script is taken
from the same bin/ folder as this Python):

    python tests/reference/radiomics/tools/make_pyradiomics301_cli.py

Inputs: the repository's byte-identical copy of the digital phantom,
tests/reference/radiomics/ibsi1/digital_phantom/{image,mask}.nii.gz, the parameter file
pyradiomics301/cli_params.yaml, and pyradiomics301/digital_phantom_mask_slice.nii.gz (made by
make_pyradiomics301_reference.py). Outputs in pyradiomics301/ (stdout of each command, byte for byte):

  cli_single.csv   cd ibsi1/digital_phantom && pyradiomics image.nii.gz mask.nii.gz --param ../../pyradiomics301/cli_params.yaml --format csv
  cli_single.txt   the same with --format txt
  cli_single.json  the same with --format json
  cli_batch_input.csv  the batch file (columns Image,Mask; paths relative to the batch file, as PyRadiomics reads them)
  cli_batch.csv    cd pyradiomics301 && pyradiomics cli_batch_input.csv --param cli_params.yaml --format csv
  cli_stderr.log   each command and what it wrote to stderr (PyRadiomics' warnings at the default verbosity;
                   the leading [date time] of each line removed)

PyRadiomics prints the Image and Mask paths as os.path.abspath() of the input (default --format-path
absolute), so those two cells depend on where the repository is checked out.
"""
import os
import re
import subprocess
import sys

TOOLS = os.path.dirname(os.path.abspath(__file__))
RADREF = os.path.dirname(TOOLS)
OUT = os.path.join(RADREF, "pyradiomics301")
PHANTOM = os.path.join(RADREF, "ibsi1", "digital_phantom")
PYRADIOMICS = os.path.join(os.path.dirname(sys.executable), "pyradiomics")


def main():
    batch = os.path.join(OUT, "cli_batch_input.csv")
    with open(batch, "w", newline="") as f:
        f.write("Image,Mask\n")
        f.write("../ibsi1/digital_phantom/image.nii.gz,../ibsi1/digital_phantom/mask.nii.gz\n")
        f.write("../ibsi1/digital_phantom/image.nii.gz,digital_phantom_mask_slice.nii.gz\n")

    single = ["image.nii.gz", "mask.nii.gz", "--param", "../../pyradiomics301/cli_params.yaml"]
    runs = [
        ("cli_single.csv", PHANTOM, single + ["--format", "csv"]),
        ("cli_single.txt", PHANTOM, single + ["--format", "txt"]),
        ("cli_single.json", PHANTOM, single + ["--format", "json"]),
        ("cli_batch.csv", OUT, ["cli_batch_input.csv", "--param", "cli_params.yaml", "--format", "csv"]),
    ]
    env = dict(os.environ, PYTHONHASHSEED="0")
    with open(os.path.join(OUT, "cli_stderr.log"), "w") as log:
        for name, cwd, args in runs:
            cmd = ["pyradiomics"] + args
            p = subprocess.run([PYRADIOMICS] + args, cwd=cwd, env=env, capture_output=True)
            log.write("$ cd %s && %s   # -> %s, exit code %d\n" % (os.path.relpath(cwd, RADREF), " ".join(cmd), name,
                                                                  p.returncode))
            # drop the timestamps PyRadiomics puts in front of each log line, so the file is reproducible
            log.write(re.sub(r"(?m)^\[\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\] ", "", p.stderr.decode()))
            if p.returncode != 0:
                sys.exit("%s failed (exit %d): %s" % (" ".join(cmd), p.returncode, p.stderr.decode()))
            with open(os.path.join(OUT, name), "wb") as f:
                f.write(p.stdout)
            print("wrote %s (%d bytes)" % (name, len(p.stdout)))


if __name__ == "__main__":
    main()
