"""Drives a Kratos MCP endpoint with the Python MCP SDK's streamable HTTP client.

Usage: mcp_client.py URL. Prints one JSON object: the tools listed (name and input schema), the
SayHello result, and the failing call's result.
"""
import asyncio
import json
import sys

from mcp import ClientSession
try:
    from mcp.client.streamable_http import streamable_http_client
except ImportError:  # mcp before 2.0
    from mcp.client.streamable_http import streamablehttp_client as streamable_http_client


def field(obj, snake, camel):
    """A result field by its name in this SDK version (snake_case from 2.0, camelCase before)."""
    return getattr(obj, snake) if hasattr(obj, snake) else getattr(obj, camel)


def result(call):
    return {
        "isError": bool(field(call, "is_error", "isError")),
        "text": [c.text for c in call.content if getattr(c, "type", "") == "text"],
        "structured": field(call, "structured_content", "structuredContent"),
    }


async def main(url):
    async with streamable_http_client(url) as streams:
        read, write = streams[0], streams[1]
        async with ClientSession(read, write) as session:
            initialized = await session.initialize()
            tools = await session.list_tools()
            hello = await session.call_tool("Greeter_SayHello", {"name": "python"})
            failed = await session.call_tool("Greeter_SayHello", {"name": "nobody"})
            print(json.dumps({
                "server": field(initialized, "server_info", "serverInfo").name,
                "protocol": field(initialized, "protocol_version", "protocolVersion"),
                "tools": {t.name: field(t, "input_schema", "inputSchema") for t in tools.tools},
                "hello": result(hello),
                "failed": result(failed),
            }))


asyncio.run(main(sys.argv[1]))
