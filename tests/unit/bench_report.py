#!/usr/bin/env python3
"""bench/report.py's table.txt shows each figure to 4 significant digits
(at least), so that a ratio worked out from the table is the JSON's: a
147.35 ns one-way time once read "147".  It runs report.py on a few
hand-made raw lines and reads the table it writes; the JSON keeps the
figures as measured.  Prints "ok NAME" or "FAIL NAME: why" lines.

    tests/unit/bench_report.py TOP
"""
import json
import os
import subprocess
import sys
import tempfile

top = sys.argv[1]
NAME = 'unit/bench-report-digits'

# Figures of every size a benchmark reports: ns, Mmsg/s, wake-ups a
# second, IOPS, bytes.
FIGURES = [147.35, 73.68, 3.6349, 0.012345, 0.5, 999.96, 1234.5, 48213.7,
           123456789.0]

RAW = ['M {"cpu": "test", "cores": 2}',
       'W t_lat lower {"same_work": {"peer": true}, "note": ""}',
       'O t_lat 1 kspawn peer']
for i, v in enumerate(FIGURES):
    metric = 'one_way_ns' if i == 0 else 'm%d' % i
    RAW.append('R t_lat kspawn 1 %s %r u%d' % (metric, v, i))
    RAW.append('R t_lat peer 1 %s %r u%d' % (metric, v / 2, i))
RAW += ['R t_lat kspawn 1 warmup 100 rounds', 'R t_lat peer 1 warmup 100 rounds']


def close(shown, value):
    """shown (a table cell) is value to 4 significant digits, or better."""
    try:
        got = float(shown)
    except ValueError:
        return False
    return abs(got - value) <= 5e-4 * abs(value)


def main():
    with tempfile.TemporaryDirectory() as out:
        run = subprocess.run(
            [sys.executable, os.path.join(top, 'bench/report.py'), out,
             'rev', '1'], input='\n'.join(RAW) + '\n', text=True,
            capture_output=True, check=False)
        if run.returncode:
            print('FAIL %s: report.py failed: %s' % (NAME, run.stderr.strip()))
            return
        with open(os.path.join(out, 'table.txt')) as f:
            rows = [r.split() for r in f.read().splitlines()]
        with open(os.path.join(out, 't_lat.json')) as f:
            js = json.load(f)
    bad = []
    for i, v in enumerate(FIGURES):
        metric = 'one_way_ns' if i == 0 else 'm%d' % i
        for system, value in (('kspawn', v), ('peer', v / 2)):
            # [workload] system metric min median max unit
            row = [r for r in rows if system in r[:2] and metric in r[:3]]
            if len(row) != 1:
                bad.append('no one row of %s %s' % (system, metric))
                continue
            cell = row[0][row[0].index(metric) + 2]
            if not close(cell, value):
                bad.append('%s %s %r shown as %s' %
                           (system, metric, value, cell))
            got = js['metrics'][metric][system]['median']
            if got != value:
                bad.append('JSON has %s %s %r, not %r' %
                           (system, metric, got, value))
    if js['kspawn']['median'] != FIGURES[0]:
        bad.append('JSON kspawn median %r' % js['kspawn']['median'])
    if bad:
        print('FAIL %s: %s' % (NAME, '; '.join(bad)))
    else:
        print('ok %s (%d figures)' % (NAME, 2 * len(FIGURES)))


main()
