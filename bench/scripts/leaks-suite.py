#!/usr/bin/env python3
"""What the leak verifier costs a real test suite of this repository: each suite run N times with the verifier on and
N times with it off (LIFELINE_LEAKS=off), alternating on/off and off/on so both see the same machine.

Usage: leaks-suite.py [--runs 5] [--no-build] [SUITE ...]
  SUITE is a test project directory, optionally with xunit.v3 runner arguments after a colon:
    tests/Lifeline.Client.Tests
    "tests/Lifeline.Hub.Tests:-namespace- Lifeline.Hub.Tests.Cluster"
  Default: tests/Lifeline.Client.Tests and tests/Lifeline.Hub.Tests, whole.

Builds each project once in Release (unless --no-build), then runs its test program directly under xunit.v3's
in-process runner (`dotnet bin/Release/net10.0/X.dll`), so no `dotnet test` or build time is measured. Per run it records
xunit's own total time (the summary's `Time:`), the wall time and the CPU time (user + system) of the test process,
from wait4 (it includes the children the suite started and waited for, such as child hubs), and the load average; an on
run also prints where its checks spent their time (LIFELINE_LEAKS_STATS=1: checks, how many were clean at the first
scan, forced collections, time scanning and checking).
Prints every run, then per suite the medians on and off and their ratio. An off run must print the verifier's OFF line
and an on run must not; a run whose tests fail is flagged (its times still count: the same tests ran). Standard library only.
"""
import argparse, os, re, shlex, statistics, subprocess, sys, time

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
OFF_LINE = "Lifeline leak verifier: OFF"
SUMMARY = re.compile(r"Total: (\d+), Errors: (\d+), Failed: (\d+), Skipped: (\d+), Not Run: (\d+), Time: ([0-9.]+)s")


def loadavg():
    with open("/proc/loadavg") as f:
        return [float(x) for x in f.read().split()[:3]]


def parse_suite(spec):
    path, _, extra = spec.partition(":")
    path = path.rstrip("/")
    name = os.path.basename(path)
    dll = os.path.join(ROOT, path, "bin", "Release", "net10.0", name + ".dll")
    return {"path": path, "name": name, "dll": dll, "args": shlex.split(extra), "label": name + (f" ({extra})" if extra else "")}


def run_once(suite, on):
    env = dict(os.environ)
    env.pop("LIFELINE_LEAKS", None)
    if not on:
        env["LIFELINE_LEAKS"] = "off"
    else:
        # One line at exit: how many checks, how many waited or forced a collection, and their time (LeakCheckStats).
        env["LIFELINE_LEAKS_STATS"] = "1"
    load = loadavg()[0]
    started = time.monotonic()
    proc = subprocess.Popen(["dotnet", suite["dll"], "-noColor", *suite["args"]], cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    output = proc.stdout.read()
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.monotonic() - started
    proc.returncode = os.waitstatus_to_exitcode(status)
    m = SUMMARY.search(output)
    if m is None:
        sys.exit(f"{suite['label']}: no xunit summary in the output (exit {proc.returncode}):\n{output[-3000:]}")
    total, errors, failed = int(m.group(1)), int(m.group(2)), int(m.group(3))
    said_off = OFF_LINE in output
    if said_off == on:
        sys.exit(f"{suite['label']}: the verifier was {'on' if on else 'off'} but the run {'said' if said_off else 'did not say'} OFF")
    failures = re.findall(r"^\s+(\S+) \[FAIL\]$", output, re.M)
    if errors + failed:
        # Kept for reading: which test failed, and why (a flaky test, or a check that reported work still ending).
        log = os.path.join(ROOT, "artifacts", f"leaks-suite-{suite['name']}-{'on' if on else 'off'}-{int(time.time())}.log")
        os.makedirs(os.path.dirname(log), exist_ok=True)
        with open(log, "w") as f:
            f.write(output)
        failures.append(f"output in {os.path.relpath(log, ROOT)}")
    stats = re.search(r"^Lifeline leak verifier stats: (.*)$", output, re.M)
    return {"stats": stats.group(1) if stats else None, "on": on, "xunit": float(m.group(6)), "wall": wall, "cpu": usage.ru_utime + usage.ru_stime, "load": load,
            "tests": total, "bad": errors + failed, "failures": failures}


def median(rows, key, on):
    return statistics.median(r[key] for r in rows if r["on"] == on)


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--runs", type=int, default=5, help="runs of each suite per mode (default 5)")
    p.add_argument("--no-build", action="store_true", help="use the Release build already there")
    p.add_argument("suites", nargs="*", default=["tests/Lifeline.Client.Tests", "tests/Lifeline.Hub.Tests"])
    a = p.parse_args()
    suites = [parse_suite(s) for s in a.suites]

    if not a.no_build:
        for suite in suites:
            subprocess.run(["dotnet", "build", suite["path"], "-c", "Release", "-nologo", "-v", "q"], cwd=ROOT, check=True,
                           stdout=subprocess.DEVNULL)

    print(f"load average at start: {' '.join(f'{x:.2f}' for x in loadavg())}, {os.cpu_count()} cores; {a.runs} runs per mode, alternating")
    results = {s["label"]: [] for s in suites}
    for i in range(a.runs):
        for suite in suites:
            for on in ((True, False) if i % 2 == 0 else (False, True)):
                r = run_once(suite, on)
                results[suite["label"]].append(r)
                flag = f"  ({r['bad']} failed or errors: {', '.join(r['failures'])})" if r["bad"] else ""
                print(f"  run {i + 1} {suite['name']:<24} {'on ' if on else 'off'}  xunit {r['xunit']:7.2f} s  wall {r['wall']:7.2f} s"
                      f"  cpu {r['cpu']:7.2f} s  load {r['load']:5.2f}  tests {r['tests']}{flag}", flush=True)
                if r["stats"]:
                    print(f"        checks: {r['stats']}", flush=True)

    print(f"load average at end: {' '.join(f'{x:.2f}' for x in loadavg())}")
    print()
    print(f"{'suite':<40} {'':>6} {'xunit time':>12} {'wall':>9} {'CPU':>9}   (medians of {a.runs})")
    for suite in suites:
        rows = results[suite["label"]]
        for on in (False, True):
            print(f"{suite['label']:<40} {'on' if on else 'off':>6} {median(rows, 'xunit', on):10.2f} s {median(rows, 'wall', on):7.2f} s"
                  f" {median(rows, 'cpu', on):7.2f} s")
        ratio = {k: median(rows, k, True) / median(rows, k, False) for k in ("xunit", "wall", "cpu")}
        print(f"{suite['label']:<40} {'on/off':>6} {ratio['xunit']:10.2f}x  {ratio['wall']:7.2f}x  {ratio['cpu']:7.2f}x"
              f"   ({(ratio['xunit'] - 1) * 100:+.0f}% xunit time, {(ratio['cpu'] - 1) * 100:+.0f}% CPU)")
    loads = [r["load"] for rows in results.values() for r in rows]
    print(f"1-minute load average at the start of each run: min {min(loads):.2f}, median {statistics.median(loads):.2f}, max {max(loads):.2f}")


if __name__ == "__main__":
    main()
