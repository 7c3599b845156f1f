#!/usr/bin/env python3
# The tracepoint comparison of docs/benchmarks.md: two dropwatch builds
# (/tmp/dw-base, /tmp/dw-eng) and dropgen (/tmp/dg-bin), as root:
#   python3 docs/bench/tracepoint-host.py ROUNDS
import subprocess, resource, time, re, sys, os
rounds=int(sys.argv[1]) if len(sys.argv)>1 else 5
rows=[("packet burst 20000","packet",20000,0,6),("packet 500/s 5000","packet",5000,500,13),("summary burst 20000","summary",20000,0,6)]
bins={"base (15bc322)":"/tmp/dw-base","engine (main)":"/tmp/dw-eng"}
res={}
def run2(b,mode,n,rate,dur):
    args=[b,"-l","kas","--backend","tracepoint","--once",f"{dur}s"]+(["--mode","packet"] if mode=="packet" else [])
    out=open('/tmp/hb.out','w')
    p=subprocess.Popen(args,stdout=out,stderr=subprocess.PIPE)
    time.sleep(1.5)
    subprocess.run(["/tmp/dg-bin","-n",str(n),"-rate",str(rate)],check=True,stdout=subprocess.DEVNULL)
    err=p.stderr.read().decode()
    _,status,ru=os.wait4(p.pid,0)
    out.close()
    txt=open('/tmp/hb.out').read()+err
    m=re.search(r"total: (\d+) drops",txt)
    total=int(m.group(1)) if m else -1
    lost=re.search(r"tracepoint samples lost (\d+)",txt)
    return ru.ru_utime+ru.ru_stime, ru.ru_maxrss, total, int(lost.group(1)) if lost else -1
for r in range(rounds):
    for row in rows:
        for name,b in (bins.items() if r%2==0 else reversed(list(bins.items()))):
            cpu,rss,total,lost=run2(b,*row[1:])
            res.setdefault((row[0],name),[]).append((cpu,rss,total,lost))
            print(f"round {r+1} {row[0]:22s} {name:16s} cpu {cpu*1000:7.1f} ms  alerts {total:6d}  lost {lost}  per1000 {cpu*1e6/max(total,1):7.2f} ms  rss {rss/1024:.1f} MiB  load {os.getloadavg()[0]:.1f}",flush=True)
print("\nsummary (CPU ms per 1,000 alerts: median [min-max]; peak RSS MiB median)")
import statistics
for row in rows:
    for name in bins:
        v=res[(row[0],name)]
        per=[c*1e6/max(t,1) for c,_,t,_ in v]
        print(f"| {row[0]} | {name} | {statistics.median(per):.2f} [{min(per):.2f}-{max(per):.2f}] | {statistics.median([x[1]/1024 for x in v]):.1f} |")
