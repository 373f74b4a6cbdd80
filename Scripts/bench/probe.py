#!/usr/bin/env python3
"""One client sending GET requests back to back over a kept-alive connection for a while, timing
each: prints `probe ok=N shed=N other=N p50=MS p99=MS`, the percentiles of the 2xx replies only
(the latency of accepted requests, which wrk's histogram mixes with the fast 429s).
Usage: probe.py URL SECONDS"""
import http.client
import sys
import time
import urllib.parse

url = urllib.parse.urlsplit(sys.argv[1])
seconds = float(sys.argv[2])
connection = http.client.HTTPConnection(url.hostname, url.port, timeout=30)
latencies, shed, other = [], 0, 0
end = time.monotonic() + seconds
while time.monotonic() < end:
    start = time.monotonic()
    try:
        connection.request("GET", url.path)
        response = connection.getresponse()
        response.read()
        status = response.status
    except (OSError, http.client.HTTPException):
        connection.close()
        connection = http.client.HTTPConnection(url.hostname, url.port, timeout=30)
        status = 0
    elapsed = (time.monotonic() - start) * 1000
    if 200 <= status < 300:
        latencies.append(elapsed)
    elif status == 429:
        shed += 1
    else:
        other += 1
latencies.sort()

def percentile(p):
    return latencies[min(len(latencies) - 1, int(len(latencies) * p))] if latencies else float("nan")

print(f"probe ok={len(latencies)} shed={shed} other={other} p50={percentile(0.50):.2f} p99={percentile(0.99):.2f}")
