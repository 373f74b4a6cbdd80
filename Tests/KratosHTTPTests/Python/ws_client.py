"""Drives the greeter's client stream (Gather) and bidirectional stream (Chat) over WebSocket
with Python's `websockets` (PyPI), as a browser-side or partner client would, and prints what it
saw as JSON.

usage: ws_client.py ENDPOINT streams      client and bidi streams, JSON and binary frames, errors,
                                          fragments, pings, 1,000 messages each way
       ws_client.py ENDPOINT flood DIR    connects to /ws/flood, reads nothing until the file
                                          DIR/resume exists (DIR/paused says it is waiting), then
                                          reads 300 messages
       ws_client.py ENDPOINT upload DIR   sends 600 binary messages of 64 KiB to /ws/upload, whose handler
                                          reads nothing at first: once sending stalls for a second,
                                          writes how many went into DIR/stalled, then sends the rest
       ws_client.py ENDPOINT too_large    a message past the server's 64 KiB limit

Messages: text frames carry protojson, binary frames binary protobuf. HelloRequest and HelloReply
both have one string field numbered 1 (`name`, `message`), encoded here by hand. The client ends
its stream with an empty text frame, then reads the replies until the server closes.
"""
import asyncio
import json
import os
import sys
import time

from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

endpoint = sys.argv[1].replace("http://", "ws://")
scenario = sys.argv[2]


def encode(name):
    """A HelloRequest in binary protobuf: field 1, length-delimited."""
    data = name.encode()
    length, varint = len(data), b""
    while True:
        byte = length & 0x7F
        length >>= 7
        if length:
            varint += bytes([byte | 0x80])
        else:
            varint += bytes([byte])
            break
    return b"\x0a" + varint + data


def decode(data):
    """The string in field 1 of a HelloReply in binary protobuf."""
    assert data[0] == 0x0A, data[:4]
    index, shift, length = 1, 0, 0
    while True:
        byte = data[index]
        index += 1
        length |= (byte & 0x7F) << shift
        shift += 7
        if not byte & 0x80:
            break
    return data[index:index + length].decode()


def message_of(frame):
    """The reply's message and its frame type."""
    if isinstance(frame, bytes):
        return decode(frame), "binary"
    return json.loads(frame)["message"], "text"


async def run_stream(path, messages, binary=False, headers=None, fragments=None):
    """Sends `messages` (concurrently with reading), then the end marker; returns the replies,
    their frame types, and the close code and reason."""
    async with connect(endpoint + path, additional_headers=headers or {}, max_size=2 ** 22) as ws:
        async def send():
            try:
                for name in messages:
                    await ws.send(encode(name) if binary else json.dumps({"name": name}))
                if fragments:
                    await ws.send(fragments)
                await ws.send("")
            except ConnectionClosed:
                pass

        sender = asyncio.create_task(send())
        replies, kinds = [], set()
        try:
            async for frame in ws:
                message, kind = message_of(frame)
                replies.append(message)
                kinds.add(kind)
        except ConnectionClosed:
            pass
        await sender
        # The reason as the error body it carries (a JSON object), else as text.
        reason = None
        if ws.close_reason:
            try:
                reason = json.loads(ws.close_reason)
            except ValueError:
                reason = {"text": ws.close_reason}
        return {"replies": replies, "kinds": sorted(kinds), "code": ws.close_code, "reason": reason}


async def streams():
    result = {}
    result["gather_json"] = await run_stream("/helloworld/gather", ["a", "b", "c"])
    result["gather_binary"] = await run_stream("/helloworld/gather", ["x", "y"], binary=True)
    result["gather_error"] = await run_stream("/helloworld/gather", ["a", "!"])
    result["chat_json"] = await run_stream("/helloworld/chat", ["ann", "bob"])
    result["chat_binary"] = await run_stream("/helloworld/chat", ["zed"], binary=True)
    result["chat_fragmented"] = await run_stream("/helloworld/chat", [], fragments=['{"na', 'me":"frag', 'ment"}'])
    names = [str(index) for index in range(1, 1001)]
    result["chat_thousand"] = await run_stream("/helloworld/chat", names)
    result["chat_thousand_binary"] = await run_stream("/helloworld/chat", names, binary=True)
    result["gather_thousand"] = await run_stream("/helloworld/gather", names)
    result["chat_error"] = await run_stream("/helloworld/chat", ["ok", "!", "never"])
    result["refused"] = await run_stream("/guarded/chat", ["ann"])
    result["allowed"] = await run_stream("/guarded/chat", ["ann"], headers={"x-md-global-user": "ann"})
    # A ping is answered while the stream is open.
    async with connect(endpoint + "/helloworld/chat") as ws:
        pong = await ws.ping(b"are you there")
        latency = await asyncio.wait_for(pong, 5)
        result["pong"] = latency >= 0
        await ws.send("")
        async for _ in ws:
            pass
        result["pong_close"] = ws.close_code
    print(json.dumps(result))


async def flood(directory):
    # Closing waits for the server's close frame, which queues behind replies this client no
    # longer reads: give up on it soon (the server cancels its handler when our close arrives).
    async with connect(endpoint + "/ws/flood", max_size=2 ** 22, max_queue=4, close_timeout=1) as ws:
        open(os.path.join(directory, "paused"), "w").close()
        while not os.path.exists(os.path.join(directory, "resume")):
            await asyncio.sleep(0.05)
        ticks = []
        for _ in range(300):
            message, _ = message_of(await ws.recv())
            ticks.append(int(message.split(" ")[1].rstrip("x")))
    print(json.dumps({"count": len(ticks), "first": ticks[0], "in_order": ticks == list(range(ticks[0], ticks[0] + 300))}))


async def upload(directory):
    async with connect(endpoint + "/ws/upload", max_size=2 ** 22) as ws:
        sent = 0
        payload = encode("x" * (64 << 10))

        async def send_all():
            nonlocal sent
            for _ in range(600):
                await ws.send(payload)  # waits while the transport's buffer is full
                sent += 1
            await ws.send("")

        began = time.monotonic()
        sender = asyncio.create_task(send_all())
        last = -1
        while sent != last:
            last = sent
            await asyncio.sleep(1)
        with open(os.path.join(directory, "stalled"), "w") as marker:
            marker.write(str(sent))
        stalled_at = time.monotonic() - began
        await sender
        reply, _ = message_of(await ws.recv())
    print(json.dumps({"stalled": last, "reply": reply, "code": ws.close_code,
                      "seconds": [round(stalled_at, 2), round(time.monotonic() - began, 2)]}))


async def too_large():
    """A message within the limit and its reply, then one past it: the server closes with 1009.
    (Sent together, the second could close the stream before the first was answered.)"""
    async with connect(endpoint + "/helloworld/chat", max_size=2 ** 22) as ws:
        await ws.send(json.dumps({"name": "small"}))
        replies = [message_of(await ws.recv())[0]]
        try:
            await ws.send(json.dumps({"name": "x" * (100 << 10)}))
            async for frame in ws:
                replies.append(message_of(frame)[0])
        except ConnectionClosed:
            pass
    print(json.dumps({"replies": replies, "kinds": ["text"], "code": ws.close_code, "reason": None}))


if scenario == "streams":
    asyncio.run(streams())
elif scenario == "flood":
    asyncio.run(flood(sys.argv[3]))
elif scenario == "upload":
    asyncio.run(upload(sys.argv[3]))
else:
    asyncio.run(too_large())
