#!/usr/bin/env python3
"""Turn the benchmark harness's raw lines into results.

    report.py OUT_DIR GIT_REV RUNS < raw

Raw lines (bench/run.sh and bench/fullstack/in-vm.sh write them):
    M <machine as JSON>                     the machine of what follows
    W <workload> <lower|higher> <JSON>      a workload and its parameters
    R <workload> <system> <run> <metric> <value> <unit>
    F <workload> <reason>                   a workload that could not run

Writes OUT_DIR/<workload>.json, OUT_DIR/table.txt, OUT_DIR/table.md (for
bench/README.md) and, with gnuplot,
OUT_DIR/<family>.png and OUT_DIR/ratios.png.  The first metric kspawn
reports is a workload's primary one; the best peer is the one with the
best median of it, and ratio = kspawn median / best peer median.
Exits 1 if any workload failed or lacks one of its RUNS for some system;
a failed workload's old JSON file is removed, never left looking current.
"""
import json
import os
import shutil
import statistics
import subprocess
import sys


def stats(values):
    return {"min": min(values), "median": statistics.median(values),
            "max": max(values)}


def parse_line(line, state):
    """One raw line into state; raises ValueError/IndexError if garbled."""
    kind = line[:1]
    if kind == "M":
        state["machine"] = json.loads(line[2:])
    elif kind == "W":
        _, name, better, params = line.split(None, 3)
        if better not in ("lower", "higher"):
            raise ValueError("better is " + better)
        state["workloads"][name] = {
            "better": better, "parameters": json.loads(params),
            "machine": state["machine"], "systems": {}, "units": {}}
    elif kind == "F":
        _, name, why = line.split(None, 2)
        state["failures"].append("%s: %s" % (name, why))
        state["failed"].add(name)
    elif kind == "R":
        _, name, system, run, metric, value, unit = line.split()
        w = state["workloads"][name]
        int(run)
        if w["units"].setdefault(metric, unit) != unit:
            raise ValueError("%s in %s and %s" %
                             (metric, w["units"][metric], unit))
        metrics = w["systems"].setdefault(system, {})
        metrics.setdefault(metric, []).append(float(value))
    elif line.strip():
        raise ValueError("unknown line")


def parse(lines):
    state = {"machine": {}, "workloads": {}, "failures": [],
             "failed": set()}
    for line in lines:
        try:
            parse_line(line, state)
        except (ValueError, IndexError, KeyError) as e:
            state["failures"].append("garbled line %r (%s)" % (line, e))
    for name in state["failed"]:
        state["workloads"].pop(name, None)
    return state


def result(name, w, rev, runs, failures):
    systems = w["systems"]
    if "kspawn" not in systems:
        failures.append("%s: no kspawn results" % name)
        return None
    primary = next(iter(systems["kspawn"]))
    peers = [s for s in systems if s != "kspawn"]
    if not peers:
        failures.append("%s: no peer results" % name)
        return None
    for s in systems:
        if len(systems[s].get(primary, [])) != runs:
            failures.append("%s: %s has %d of %d runs" %
                            (name, s, len(systems[s].get(primary, [])), runs))
            return None
    lower = w["better"] == "lower"
    best = None
    for p in peers:
        med = statistics.median(systems[p][primary])
        if best is None or (med < best[1] if lower else med > best[1]):
            best = (p, med)
    kmed = statistics.median(systems["kspawn"][primary])
    if not best[1] or not kmed:
        failures.append("%s: a median of 0 (%s %g, %s %g)" %
                        (name, "kspawn", kmed, best[0], best[1]))
        return None
    ratio = kmed / best[1]
    return {
        "name": name, "metric": primary, "unit": w["units"][primary],
        "better": w["better"], "machine": w["machine"], "git": rev,
        "runs": runs, "parameters": w["parameters"],
        "kspawn": stats(systems["kspawn"][primary]),
        "peers": [dict(name=p, **stats(systems[p][primary])) for p in peers],
        "ratio": {"value": round(ratio, 3),
                  "definition": "kspawn median / %s median" % best[0],
                  "better": "%s is better" % w["better"]},
        "metrics": {m: {s: dict(unit=w["units"][m], **stats(systems[s][m]))
                        for s in systems if m in systems[s]}
                    for m in w["units"]},
    }


def fmt(v):
    return "%.3g" % v if abs(v) < 1000 else "%.0f" % v


def table(results):
    rows = ["%-30s %-13s %-15s %12s %12s %12s" %
            ("workload", "system", "metric", "min", "median", "max")]
    for r in results:
        for s, per in sorted(r["metrics"][r["metric"]].items(),
                             key=lambda i: i[0] != "kspawn"):
            rows.append("%-30s %-13s %-15s %12s %12s %12s  %s" %
                        (r["name"], s, r["metric"], fmt(per["min"]),
                         fmt(per["median"]), fmt(per["max"]), per["unit"]))
        for m, per_sys in r["metrics"].items():
            if m == r["metric"]:
                continue
            for s, per in per_sys.items():
                rows.append("%-30s %-13s %-15s %12s %12s %12s  %s" %
                            ("", s, m, fmt(per["min"]), fmt(per["median"]),
                             fmt(per["max"]), per["unit"]))
        if r["ratio"]["value"]:
            rows.append("%-30s %-13s %-15s %12s  (%s; %s)" %
                        ("", "ratio", "", r["ratio"]["value"],
                         r["ratio"]["definition"], r["ratio"]["better"]))
    return "\n".join(rows) + "\n"


def markdown(results):
    """The README's table: primary metrics, every peer, the ratio."""
    rows = ["| workload | metric | kspawn | peers | kspawn / best peer |",
            "|---|---|---|---|---|"]
    for r in results:
        peers = ", ".join("%s %s" % (p["name"], fmt(p["median"]))
                          for p in r["peers"])
        best = r["ratio"]["definition"].split("/ ")[1].replace(" median", "")
        rows.append("| `%s` | %s, %s, %s is better | %s | %s | **%.3g** (%s) |"
                    % (r["name"], r["metric"], r["unit"], r["better"],
                       fmt(r["kspawn"]["median"]), peers,
                       r["ratio"]["value"], best))
    return "\n".join(rows) + "\n"


def family(name):
    return name.split("_")[0]


def gnuplot(script):
    subprocess.run(["gnuplot"], input=script, text=True, check=False,
                   stderr=subprocess.DEVNULL)


def plots(out, results):
    """One bar chart per family (medians, every system), and the ratios."""
    if not shutil.which("gnuplot"):
        print("report: no gnuplot, no plots", file=sys.stderr)
        return
    fams = {}
    for r in results:
        fams.setdefault(family(r["name"]), []).append(r)
    for fam, rs in fams.items():
        systems = []
        for r in rs:
            for s in r["metrics"][r["metric"]]:
                if s not in systems:
                    systems.append(s)
        dat = os.path.join(out, ".%s.dat" % fam)
        with open(dat, "w") as f:
            for r in rs:
                per = r["metrics"][r["metric"]]
                f.write("%s %s\n" % (r["name"], " ".join(
                    str(per[s]["median"]) if s in per else "-"
                    for s in systems)))
        cols = ", ".join("'%s' using %d%s title '%s'" %
                         (dat if i == 0 else "", i + 2,
                          ":xtic(1)" if i == 0 else "", s)
                         for i, s in enumerate(systems))
        gnuplot("set terminal png size 1200,600 noenhanced\n"
                "set output '%s'\nset style data histograms\n"
                "set style fill solid\nset datafile missing '-'\n"
                "set xtics rotate by 30 right\nset bmargin 10\n"
                "set logscale y\n"
                "set title 'kspawn %s benchmarks: medians (units in "
                "table.txt)'\nplot %s\n" %
                (os.path.join(out, fam + ".png"), fam, cols))
        os.unlink(dat)
    dat = os.path.join(out, ".ratios.dat")
    with open(dat, "w") as f:
        for r in results:
            v = r["ratio"]["value"]
            if v:
                # Times better than the best peer: above 1 kspawn wins.
                adv = 1 / v if r["better"] == "lower" else v
                f.write("%s %g\n" % (r["name"], adv))
    gnuplot("set terminal png size 1400,600 noenhanced\n"
            "set output '%s'\nset style data histograms\n"
            "set style fill solid\nset xtics rotate by 40 right\n"
            "set bmargin 14\n"
            "set logscale y\nset ylabel 'times better than the best peer'\n"
            "set title 'kspawn vs best peer (above 1: kspawn better)'\n"
            "plot '%s' using 2:xtic(1) notitle, 1 notitle lw 2\n" %
            (os.path.join(out, "ratios.png"), dat))
    os.unlink(dat)


def main():
    out, rev, runs = sys.argv[1], sys.argv[2], int(sys.argv[3])
    state = parse(sys.stdin.read().splitlines())
    failures = state["failures"]
    results = []
    for name in state["failed"]:
        stale = os.path.join(out, name + ".json")
        if os.path.exists(stale):
            os.unlink(stale)
    for name, w in state["workloads"].items():
        r = result(name, w, rev, runs, failures)
        path = os.path.join(out, name + ".json")
        if not r:
            if os.path.exists(path):
                os.unlink(path)
            continue
        results.append(r)
        with open(path, "w") as f:
            json.dump(r, f, indent=1)
            f.write("\n")
    text = table(results)
    with open(os.path.join(out, "table.txt"), "w") as f:
        f.write(text)
    with open(os.path.join(out, "table.md"), "w") as f:
        f.write(markdown(results))
    print(text, end="")
    plots(out, results)
    for msg in failures:
        print("report: FAILED %s" % msg, file=sys.stderr)
    print("report: %d workloads, %d failures; results in %s" %
          (len(results), len(failures), out), file=sys.stderr)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
