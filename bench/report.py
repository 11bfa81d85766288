#!/usr/bin/env python3
"""Turn the benchmark harness's raw lines into results.

    report.py OUT_DIR GIT_REV RUNS < raw

Raw lines (bench/run.sh and bench/fullstack/in-vm.sh write them):
    M <machine as JSON>                     the machine of what follows
    W <workload> <lower|higher> <JSON>      a workload and its parameters
    O <workload> <run> <system>...          the order the systems ran in
    R <workload> <system> <run> <metric> <value> <unit>
    F <workload> <reason>                   a workload that could not run

A workload's parameters must say, in "same_work", for each peer whether
it does the work kspawn does (true) or other work shown for scale
(false), and in "note" anything a reader of its row must know.  Each
system reports the warm-up it did before measuring as the metric
"warmup" (0 "none" for a size, which is no timing).

Writes OUT_DIR/<workload>.json, OUT_DIR/table.txt, OUT_DIR/table.md (for
bench/README.md) and, with gnuplot, one chart per family and unit
(OUT_DIR/<family>.png, or <family>_<metric>.png where a family has more
than one unit) and OUT_DIR/ratios.png.  The first metric kspawn reports
is a workload's primary one; the best peer is the one with the best
median of it among the peers that do the same work (among all, if none
does: the row is then not comparable), and ratio = kspawn median / best
peer median.  Exits 1 if any workload failed, lacks one of its RUNS,
its warm-up or its order for some system, or does not say which peers
do the same work; a failed workload's old JSON file is removed, never
left looking current.
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
            "machine": state["machine"], "systems": {}, "units": {},
            "warmup": {}, "order": {}}
    elif kind == "O":
        _, name, run, *systems = line.split()
        state["workloads"][name]["order"][int(run)] = systems
    elif kind == "F":
        _, name, why = line.split(None, 2)
        state["failures"].append("%s: %s" % (name, why))
        state["failed"].add(name)
    elif kind == "R":
        _, name, system, run, metric, value, unit = line.split()
        w = state["workloads"][name]
        int(run)
        if metric == "warmup":
            w["warmup"].setdefault(system, []).append((float(value), unit))
            return
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


def warmups(name, w, runs, failures):
    """Each system's warm-up, the same in every run; None if one lacks it."""
    out = {}
    for s in w["systems"]:
        got = w["warmup"].get(s, [])
        if len(got) != runs or len(set(got)) != 1:
            failures.append("%s: %s reported its warm-up in %d of %d runs%s"
                            % (name, s, len(got), runs,
                               "" if len(set(got)) < 2 else ", differing"))
            return None
        out[s] = {"value": got[0][0], "unit": got[0][1]}
    return out


def run_order(name, w, runs, failures):
    """The order of each run, every system in each; None if not so."""
    order = [w["order"].get(r) for r in range(1, runs + 1)]
    for r, o in enumerate(order, 1):
        if o is None or sorted(o) != sorted(w["systems"]):
            failures.append("%s: run %d ran %s, not each of %s once" %
                            (name, r, o, sorted(w["systems"])))
            return None
    return order


def same_work(name, w, peers, failures):
    """Which peers do kspawn's work, as the workload says; None if unsaid."""
    said = w["parameters"].get("same_work")
    if not isinstance(said, dict) or "note" not in w["parameters"] or \
            any(not isinstance(said.get(p), bool) for p in peers):
        failures.append("%s: its parameters do not say, for each peer, "
                        "whether it does the same work (same_work, note)"
                        % name)
        return None
    return said


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
    warmup = warmups(name, w, runs, failures)
    order = run_order(name, w, runs, failures)
    same = same_work(name, w, peers, failures)
    if warmup is None or order is None or same is None:
        return None
    params = {k: v for k, v in w["parameters"].items()
              if k not in ("same_work", "note")}
    lower = w["better"] == "lower"
    # Against a peer doing the same work; only if none does, any peer.
    candidates = [p for p in peers if same[p]] or peers
    best = None
    for p in candidates:
        med = statistics.median(systems[p][primary])
        if best is None or (med < best[1] if lower else med > best[1]):
            best = (p, med)
    kmed = statistics.median(systems["kspawn"][primary])
    # kspawn at 0 where lower is better is the goal itself (idle_wakeups).
    if not best[1] or (not kmed and not lower):
        failures.append("%s: a median of 0 (%s %g, %s %g)" %
                        (name, "kspawn", kmed, best[0], best[1]))
        return None
    ratio = kmed / best[1]
    return {
        "name": name, "metric": primary, "unit": w["units"][primary],
        "better": w["better"], "machine": w["machine"], "git": rev,
        "runs": runs, "parameters": params,
        # False: the two sides do different work; the row is shown for
        # scale and counts against no target.
        "comparable": same[best[0]],
        "note": w["parameters"]["note"],
        "warmup": warmup,
        "order": order,
        "kspawn": stats(systems["kspawn"][primary]),
        "peers": [dict(name=p, same_work=same[p],
                       **stats(systems[p][primary])) for p in peers],
        "ratio": {"value": round(ratio, 3),
                  "definition": "kspawn median / %s median" % best[0],
                  "better": "%s is better" % w["better"]},
        "metrics": {m: {s: dict(unit=w["units"][m], **stats(systems[s][m]))
                        for s in systems if m in systems[s]}
                    for m in w["units"]},
    }


def fmt(v):
    """A figure for the tables: 4 significant digits (every digit from
    1000 up), so that a ratio worked out from them is the JSON's to
    0.1%; with 3, a 147.35 ns time read 147."""
    return "%.4g" % v if abs(v) < 1000 else "%.0f" % v


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
        for s, wu in sorted(r["warmup"].items(),
                            key=lambda i: i[0] != "kspawn"):
            rows.append("%-30s %-13s %-15s %12s  %s, unmeasured" %
                        ("", s, "warmup", fmt(wu["value"]), wu["unit"]))
        if r["ratio"]["value"]:
            rows.append("%-30s %-13s %-15s %12s  (%s; %s)%s" %
                        ("", "ratio", "", r["ratio"]["value"],
                         r["ratio"]["definition"], r["ratio"]["better"],
                         "" if r["comparable"] else
                         "  NOT COMPARABLE: different work, no target"))
        if r["note"]:
            rows.append("%-30s note: %s" % ("", r["note"]))
    return "\n".join(rows) + "\n"


def markdown(results):
    """The README's table: primary metrics, every peer, the ratio, and
    whether the sides do the same work (a peer that does not is starred;
    a row whose ratio is against such a peer counts against no target)."""
    rows = ["| workload | metric | kspawn | peers | kspawn / best peer "
            "| same work |",
            "|---|---|---|---|---|---|"]
    for r in results:
        peers = ", ".join("%s %s%s" % (p["name"], fmt(p["median"]),
                                       "" if p["same_work"] else "*")
                          for p in r["peers"])
        best = r["ratio"]["definition"].split("/ ")[1].replace(" median", "")
        ratio = ("**%.3g** (%s)" if r["comparable"] else
                 "%.3g (%s), not counted") % (r["ratio"]["value"], best)
        rows.append("| `%s` | %s, %s, %s is better | %s | %s | %s | %s |"
                    % (r["name"], r["metric"], r["unit"], r["better"],
                       fmt(r["kspawn"]["median"]), peers, ratio,
                       "yes" if r["comparable"] else "**no**"))
    return "\n".join(rows) + "\n"


# Rows whose name's first word is not their family: the doorbell's idle
# rows chart beside its one-way rows.
FAMILY_OF = {"idle": "doorbell", "first": "doorbell"}


def family(name):
    first = name.split("_")[0]
    return FAMILY_OF.get(first, first)


def gnuplot(script):
    subprocess.run(["gnuplot"], input=script, text=True, check=False,
                   stderr=subprocess.DEVNULL)


def charts(results):
    """The medians' charts: (file stem, unit, results), one unit each."""
    fams = {}
    for r in results:
        fams.setdefault(family(r["name"]), {}).setdefault(
            r["unit"], []).append(r)
    out = []
    for fam, units in fams.items():
        for unit, rs in units.items():
            stem = fam if len(units) == 1 else "%s_%s" % (fam, rs[0]["metric"])
            out.append((stem, unit, rs))
    return out


def plots(out, results):
    """One bar chart per family and unit (medians, every system), and the
    ratios: a row whose sides do different work is labelled so and drawn
    apart in the ratios chart."""
    if not shutil.which("gnuplot"):
        print("report: no gnuplot, no plots", file=sys.stderr)
        return
    for stem, unit, rs in charts(results):
        systems = []
        for r in rs:
            for s in r["metrics"][r["metric"]]:
                if s not in systems:
                    systems.append(s)
        dat = os.path.join(out, ".%s.dat" % stem)
        with open(dat, "w") as f:
            for r in rs:
                per = r["metrics"][r["metric"]]
                label = r["name"] + ("" if r["comparable"] else
                                     "(different-work)")
                f.write("%s %s\n" % (label, " ".join(
                    str(per[s]["median"]) if s in per else "-"
                    for s in systems)))
        cols = ", ".join("'%s' using %d%s title '%s'" %
                         (dat if i == 0 else "", i + 2,
                          ":xtic(1)" if i == 0 else "", s)
                         for i, s in enumerate(systems))
        gnuplot("set terminal png size 1200,600 noenhanced\n"
                "set output '%s'\nset style data histograms\n"
                "set style fill solid\nset datafile missing '-'\n"
                "set xtics rotate by 30 right\nset bmargin 12\n"
                "set logscale y\nset ylabel '%s, median (%s is better)'\n"
                "set title 'kspawn %s benchmarks: %s'\nplot %s\n" %
                (os.path.join(out, stem + ".png"), unit, rs[0]["better"],
                 family(stem), rs[0]["metric"], cols))
        os.unlink(dat)
    dat = os.path.join(out, ".ratios.dat")
    with open(dat, "w") as f:
        for r in results:
            v = r["ratio"]["value"]
            if v:
                # Times better than the best peer: above 1 kspawn wins.
                adv = "%g" % (1 / v if r["better"] == "lower" else v)
                f.write("%s %s %s\n" % (r["name"],
                                         adv if r["comparable"] else "-",
                                         "-" if r["comparable"] else adv))
    gnuplot("set terminal png size 1400,600 noenhanced\n"
            "set output '%s'\nset style data histograms\n"
            "set style fill solid\nset datafile missing '-'\n"
            "set xtics rotate by 40 right\nset bmargin 14\n"
            "set logscale y\nset ylabel 'times better than the best peer'\n"
            "set title 'kspawn vs best peer (above 1: kspawn better)'\n"
            "plot '%s' using 2:xtic(1) title 'same work', "
            "'' using 3 title 'different work: for scale, no target', "
            "1 notitle lw 2\n" %
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
