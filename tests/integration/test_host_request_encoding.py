"""A compressed request body reaches the function as sent: the Functions host (ASP.NET Core with
Kestrel, no request-decompression middleware) passes the body bytes and the Content-Encoding
header on unchanged, so a function that handles gzip itself works locally as it does on Azure."""

from __future__ import annotations

import gzip
import hashlib

from tests.helpers import app_path
from tests.integration.hostproc import LocalHostProcess


def test_a_gzip_body_is_passed_on_compressed_with_its_header():
    packed = gzip.compress(b"hello from a compressing client")
    with LocalHostProcess(app_path("public_http_raw")) as host:
        reply = host.post("/api/upload", packed, headers={"Content-Encoding": "gzip"})
        assert reply.status == 200, reply.text
        assert reply.json() == {
            "encoding": "gzip",
            "raw_sha256": hashlib.sha256(packed).hexdigest(),
            "text": "hello from a compressing client",
        }
        plain = host.post("/api/upload", b"as is")
        assert plain.json()["text"] == "as is"
