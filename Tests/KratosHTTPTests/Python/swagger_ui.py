"""Drives a headless Chromium through a Swagger UI page over the Chrome DevTools protocol.

usage: swagger_ui.py PAGE_URL SCREENSHOT.png TAG OPERATION_ID PARAM VALUE

Opens the page, waits for the operation to show, saves a screenshot, then does what a person
would: expands the operation, presses "Try it out", types VALUE into PARAM, presses "Execute",
and prints the response body Swagger UI shows, as one JSON line: {"shown": true, "body": "..."}.
"""
import asyncio
import base64
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request

import websockets


async def main(page_url, screenshot, tag, operation_id, param, value):
    profile = tempfile.mkdtemp(prefix="kratos-chromium-")
    browser = subprocess.Popen(
        ["chromium", "--headless=new", "--no-sandbox", "--disable-gpu", "--no-first-run", "--window-size=1280,900",
         "--remote-debugging-port=0", "--user-data-dir=" + profile, "about:blank"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        port = await wait_for_port(profile)
        targets = json.load(urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list"))
        target = next(t for t in targets if t["type"] == "page")
        async with websockets.connect(target["webSocketDebuggerUrl"], max_size=64 << 20) as ws:
            cdp = CDP(ws)
            await cdp.call("Page.enable")
            await cdp.call("Page.navigate", url=page_url)
            block = f"#operations-{tag}-{operation_id}"
            shown = await cdp.wait(f"!!document.querySelector({json.dumps(block)})")
            await cdp.evaluate(f"document.querySelector({json.dumps(block)}).scrollIntoView()")
            shot = await cdp.call("Page.captureScreenshot", format="png")
            with open(screenshot, "wb") as f:
                f.write(base64.b64decode(shot["data"]))
            await cdp.click(f"{block} .opblock-summary-control")
            await cdp.click(f"{block} .try-out__btn", wait=True)
            field = f'{block} tr[data-param-name="{param}"] input'
            await cdp.wait(f"!!document.querySelector({json.dumps(field)})")
            await cdp.evaluate(f"document.querySelector({json.dumps(field)}).focus()")
            await cdp.call("Input.insertText", text=value)
            # Swagger UI takes a parameter's value after a debounce (300 ms), then validates it.
            await cdp.wait(f"document.querySelector({json.dumps(field)}).value === {json.dumps(value)}")
            await asyncio.sleep(1)
            await cdp.click(f"{block} .execute", wait=True)
            body = f"{block} .live-responses-table .response-col_description pre"
            await cdp.wait(f"!!document.querySelector({json.dumps(body)})")
            text = await cdp.evaluate(f"document.querySelector({json.dumps(body)}).innerText")
            print(json.dumps({"shown": shown, "body": text}))
    finally:
        browser.terminate()
        try:
            browser.wait(timeout=10)
        except subprocess.TimeoutExpired:
            browser.kill()
            browser.wait()
        shutil.rmtree(profile, ignore_errors=True)


async def wait_for_port(profile):
    """Chromium writes the port it picked to DevToolsActivePort once it listens."""
    path = os.path.join(profile, "DevToolsActivePort")
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if os.path.exists(path):
            with open(path) as f:
                first = f.readline().strip()
            if first:
                return int(first)
        await asyncio.sleep(0.05)
    raise RuntimeError("chromium did not open its DevTools port")


class CDP:
    def __init__(self, ws):
        self.ws = ws
        self.next_id = 0

    async def call(self, method, **params):
        self.next_id += 1
        mine = self.next_id
        await self.ws.send(json.dumps({"id": mine, "method": method, "params": params}))
        while True:
            message = json.loads(await self.ws.recv())
            if message.get("id") == mine:
                if "error" in message:
                    raise RuntimeError(f"{method}: {message['error']}")
                return message.get("result", {})

    async def evaluate(self, expression):
        result = await self.call("Runtime.evaluate", expression=expression, returnByValue=True, awaitPromise=True)
        if "exceptionDetails" in result:
            raise RuntimeError(f"{expression}: {result['exceptionDetails']}")
        return result["result"].get("value")

    async def wait(self, condition, timeout=30):
        """Polls `condition` (JavaScript) until it is true: the page renders asynchronously."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if await self.evaluate(condition):
                return True
            await asyncio.sleep(0.1)
        raise RuntimeError(f"timed out waiting for {condition}")

    async def click(self, selector, wait=False):
        if wait:
            await self.wait(f"!!document.querySelector({json.dumps(selector)})")
        await self.evaluate(f"document.querySelector({json.dumps(selector)}).click()")


if __name__ == "__main__":
    asyncio.run(main(*sys.argv[1:7]))
