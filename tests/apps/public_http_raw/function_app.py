"""A function that accepts gzip-compressed uploads, as clients that compress their bodies send
them: it decompresses the body itself when Content-Encoding says gzip."""

import gzip
import hashlib
import json

import azure.functions as func

app = func.FunctionApp(http_auth_level=func.AuthLevel.ANONYMOUS)


@app.route(route="upload", methods=["POST"])
def upload(req: func.HttpRequest) -> func.HttpResponse:
    raw = req.get_body()
    encoding = req.headers.get("Content-Encoding", "")
    text = gzip.decompress(raw).decode() if encoding == "gzip" else raw.decode()
    summary = {"encoding": encoding, "raw_sha256": hashlib.sha256(raw).hexdigest(), "text": text}
    return func.HttpResponse(json.dumps(summary), mimetype="application/json")
