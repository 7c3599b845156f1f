#!/usr/bin/env python3
# The kernel filter comparison of docs/benchmarks.md ("Kernel filters on the
# tracepoint (issue 15)"): two dropwatch builds, one that filters --proto in
# user space only (/tmp/dw-user, main before issue 15's protocol term) and
# one that sets it in the kernel too (/tmp/dw-kernel), and dropgen
# (/tmp/dropgen), as root:
#   python3 docs/bench/tracepoint-kernel-filter.py ROUNDS
# dropwatch keeps --proto ipv6 while dropgen makes IPv4 drops (UDP to a
# closed port on 127.0.0.1): every drop is one the filter rejects. The CPU
# is dropwatch's own (wait4's rusage), user+system; dropgen's is its own
# too, since the kernel writes each sample in the dropping task's context.
import os, re, statistics, subprocess, sys, time

rounds = int(sys.argv[1]) if len(sys.argv) > 1 else 3
n = int(os.environ.get("DROPS", "20000"))
bins = {"user space only": "/tmp/dw-user", "kernel filter": "/tmp/dw-kernel"}


def run(b, drops):
    """Returns dropwatch's output and the CPU seconds of dropwatch and dropgen."""
    args = [b, "-l", "kas", "--backend", "tracepoint", "--once", "6s", "--mode", "packet", "--proto", "ipv6"]
    with open("/tmp/kf.out", "w") as out:
        p = subprocess.Popen(args, stdout=out, stderr=subprocess.STDOUT)
        time.sleep(1.5)
        g = subprocess.Popen(["/tmp/dropgen", "-n", str(drops)], stdout=subprocess.DEVNULL)
        _, _, gru = os.wait4(g.pid, 0)
        _, _, ru = os.wait4(p.pid, 0)
    return open("/tmp/kf.out").read(), ru.ru_utime + ru.ru_stime, gru.ru_utime + gru.ru_stime


def grab(pattern, txt):
    m = re.search(pattern, txt)
    return int(m.group(1)) if m else -1


res = {}
for r in range(rounds):
    order = list(bins.items()) if r % 2 == 0 else list(reversed(bins.items()))
    for drops in (0, n):
        for name, b in order:
            txt, cpu, gcpu = run(b, drops)
            res.setdefault((name, drops), []).append((cpu, gcpu))
            shown, filt = grab(r"total: (\d+) drops", txt), grab(r"filtered out (\d+)", txt)
            lost = grab(r"tracepoint samples lost (\d+)", txt)
            print(f"round {r + 1} {name:16s} drops {drops:6d}  dropwatch cpu {cpu * 1000:7.1f} ms  dropgen cpu {gcpu * 1000:7.1f} ms"
                  f"  shown {shown}  filtered out {filt}  lost {lost}  load {os.getloadavg()[0]:.1f}", flush=True)

print("\nsummary: dropwatch CPU ms (runs), and per 10,000 rejected drops over the idle runs' median")
for name in bins:
    idle = statistics.median(c for c, _ in res[(name, 0)])
    busy = [c for c, _ in res[(name, n)]]
    per = [(c - idle) * 1e4 / n * 1000 for c in busy]
    gen = [g * 1000 for _, g in res[(name, n)]]
    print(f"| {name} | idle {', '.join(f'{c * 1000:.0f}' for c, _ in res[(name, 0)])} | burst {', '.join(f'{c * 1000:.0f}' for c in busy)}"
          f" | per 10k {', '.join(f'{x:.1f}' for x in per)} | dropgen {', '.join(f'{x:.0f}' for x in gen)} |")
