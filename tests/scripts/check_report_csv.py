"""Check a CSV export of GET /v1/reports/engagements against the JSON rows of the same window.

Usage: check_report_csv.py export.csv rows.json

Parses the export with Python's own csv module (an implementation that is not ours), then
checks: the header names the columns; one record per JSON row; every field equals the JSON
value (numbers and booleans as JSON writes them, lists space-separated, absent values empty),
except that text from outside starting with = + - @ tab or CR carries a leading ' (the
formula-injection guard documented in docs/reports.md).
"""

import csv
import json
import sys

OUTSIDE = {
    "channel_source", "entry_id", "entry_address", "consumer_name", "work_item_name",
    "work_item_id", "close_reason", "disposition_name", "disposition_code",
}


def expected(column, value):
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return " ".join(value)
    text = str(value)
    if column in OUTSIDE and text[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + text
    return text


def main():
    with open(sys.argv[1], newline="", encoding="utf-8") as f:
        records = list(csv.DictReader(f, strict=True))
    with open(sys.argv[1], newline="", encoding="utf-8") as f:
        header = next(csv.reader(f))
    with open(sys.argv[2], encoding="utf-8") as f:
        rows = json.load(f)
    assert header[0] == "engagement_id", header
    assert len(records) == len(rows), (len(records), len(rows))
    by_id = {r["engagement_id"]: r for r in records}
    risky_seen = False
    for row in rows:
        record = by_id[row["engagement_id"]]
        for column in header:
            want = expected(column, row.get(column))
            got = record[column]
            # Times: the CSV writes RFC 3339 as the JSON does.
            assert got == want, f"{row['engagement_id']} {column}: csv {got!r} != json {want!r}"
            if want.startswith("'="):
                risky_seen = True
        for column in row:
            assert column in header, f"column {column} is missing from the CSV"
    assert risky_seen, "no formula-like field was exported to check the guard"
    print(f"{len(records)} records, {len(header)} columns: every field round-trips")


main()
