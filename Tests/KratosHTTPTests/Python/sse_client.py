"""Reads the greeter's Spell server stream over HTTP as Server-Sent Events with httpx and
httpx-sse, as a browser-side or partner client would, and prints what it saw as JSON.

usage: sse_client.py ENDPOINT
"""
import json
import sys

import httpx
from httpx_sse import connect_sse

endpoint = sys.argv[1]
result = {}


def read(client, method, path, **kwargs):
    """Every event of one stream: (event name, parsed data), and the response's content type."""
    with connect_sse(client, method, endpoint + path, **kwargs) as source:
        content_type = source.response.headers["content-type"]
        events = [(sse.event, sse.json()) for sse in source.iter_sse()]
    return content_type, events


with httpx.Client(timeout=10) as client:
    content_type, events = read(client, "GET", "/helloworld/python/spell")
    result["content_type"] = content_type
    result["spell"] = [data["message"] for name, data in events if name == "message"]
    _, events = read(client, "POST", "/v1/spell", json={"name": "sse"})
    result["posted"] = [data["message"] for name, data in events]
    _, events = read(client, "GET", "/helloworld/ab!c/spell")
    result["before_error"] = [data["message"] for name, data in events if name == "message"]
    result["last_event"] = events[-1][0]
    result["error"] = events[-1][1]
    # Leave a never-ending stream after three events: the server cancels its handler.
    with connect_sse(client, "GET", endpoint + "/helloworld/forever/spell") as source:
        ticks = []
        for sse in source.iter_sse():
            ticks.append(sse.json()["message"])
            if len(ticks) == 3:
                break
    result["ticks"] = ticks

print(json.dumps(result))
