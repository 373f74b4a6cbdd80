"""Uploads and downloads 50 MiB through the Files service's google.api.HttpBody routes with
httpx, as a partner's client would, and prints what it saw as JSON: the upload's reply, the
download's content type and length, and whether the bytes came back exactly (sha256).

usage: http_body.py ENDPOINT
"""
import hashlib
import json
import os
import sys

import httpx

endpoint = sys.argv[1]
data = os.urandom(50 << 20)
with httpx.Client(timeout=120) as client:
    uploaded = client.post(endpoint + "/v1/files", content=data, headers={"content-type": "application/x-kratos-test"})
    downloaded = client.get(endpoint + "/v1/files/last")
    too_large = client.post(endpoint + "/v1/files", content=b"x" * ((64 << 20) + 1), headers={"content-type": "text/plain"})
print(json.dumps({
    "upload_status": uploaded.status_code,
    "upload": uploaded.json(),
    "download_status": downloaded.status_code,
    "download_content_type": downloaded.headers.get("content-type"),
    "download_length": len(downloaded.content),
    "same_sha256": hashlib.sha256(downloaded.content).hexdigest() == hashlib.sha256(data).hexdigest(),
    "too_large_status": too_large.status_code,
}))
