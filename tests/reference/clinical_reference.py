#!/usr/bin/env python3
"""Reference values for the clinical importer, computed independently of rgdb with Python's
csv and datetime modules from the real TCIA file. Run from the repository root:

    python3 tests/reference/clinical_reference.py > tests/reference/clinical_survival.csv

Definitions (the same as docs/language.md, "The clinical table"):
- os_days: CT Date -> Date of Death if Survival Status is Dead, else -> Date of Last Known Alive
- os_event: Survival Status == Dead
- rfs: the event is recurrence or death, whichever is first; neither -> censored at the date
  last known alive; recurrence status missing, or a recurrence without a date -> empty
"""
import csv
import datetime
import sys

SRC = "data/nsclc_radiogenomics/NSCLCR01Radiogenomic_DATA_LABELS_2018-05-22_1500-shifted.csv"


def date(text):
    try:
        return datetime.datetime.strptime(text.strip(), "%m/%d/%Y").date()
    except ValueError:
        return None


def main():
    out = csv.writer(sys.stdout, lineterminator="\n")
    out.writerow(["subject_id", "os_days", "os_event", "rfs_days", "rfs_event", "tumor_location"])
    for row in csv.DictReader(open(SRC, encoding="utf-8")):
        ct = date(row["CT Date"])
        dead = row["Survival Status"] == "Dead"
        death = date(row["Date of Death"])
        alive = date(row["Date of Last Known Alive"])
        end = death if dead else alive
        os_days = (end - ct).days if end and ct else ""
        rec = row["Recurrence"].lower()
        rec_date = date(row["Date of Recurrence"])
        if rec not in ("yes", "no") or (rec == "yes" and rec_date is None):
            rfs_days, rfs_event = "", ""
        else:
            events = [d for d in (rec_date if rec == "yes" else None, death) if d]
            if events:
                rfs_days, rfs_event = (min(events) - ct).days, "true"
            else:
                rfs_days, rfs_event = (alive - ct).days, "false"
        locations = [k.split("choice=")[1].rstrip(")") for k in row
                     if k.startswith("Tumor Location") and row[k] == "Checked"]
        out.writerow([row["Patient ID"], os_days, "true" if dead else "false",
                      rfs_days, rfs_event, ", ".join(locations)])


if __name__ == "__main__":
    main()
