"""Calls Greeter_SayHello N times at once, every request with JSON-RPC id 1.

Usage: concurrent_calls.py URL N. Prints the N reply messages (or the errors) as a JSON list, in
request order. Threads in a process of its own, so the server under test shares no threads with them.
"""
import json
import sys
import threading
import urllib.request

url, count = sys.argv[1], int(sys.argv[2])
messages = [None] * count


def call(index):
    body = json.dumps({"jsonrpc": "2.0", "id": 1, "method": "tools/call",
                       "params": {"name": "Greeter_SayHello", "arguments": {"name": "n%d" % index}}}).encode()
    request = urllib.request.Request(url, data=body, headers={"content-type": "application/json",
                                                              "accept": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=20) as reply:
            messages[index] = json.load(reply)["result"]["structuredContent"]["message"]
    except Exception as error:  # reported to the test, which names the failing request
        messages[index] = "error: %s" % error


threads = [threading.Thread(target=call, args=(index,)) for index in range(count)]
for thread in threads:
    thread.start()
for thread in threads:
    thread.join()
print(json.dumps(messages))
