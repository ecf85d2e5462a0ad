"""Sums the Counters of every TRX file under a folder and prints 'passed failed'."""
import pathlib
import sys
import xml.etree.ElementTree as ET

passed = failed = 0
for trx in pathlib.Path(sys.argv[1]).rglob("*.trx"):
    for counters in ET.parse(trx).getroot().iter():
        if counters.tag.endswith("Counters"):
            passed += int(counters.get("passed", 0))
            failed += int(counters.get("failed", 0)) + int(counters.get("error", 0)) + int(counters.get("timeout", 0)) + int(counters.get("aborted", 0))
print(passed, failed)
