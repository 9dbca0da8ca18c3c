"""Blob triggers on the local host: each one records what it got (name, uri, length, content,
path parameters) as a blob under results/, one per firing; one always fails; a queue trigger
records its message metadata (and {queueTrigger}) for admin invoke."""

import hashlib
import json

import azure.functions as func

app = func.FunctionApp(http_auth_level=func.AuthLevel.ANONYMOUS)


def _record(blob: func.InputStream, **extra: object) -> str:
    data = blob.read()
    return json.dumps(
        {
            "name": blob.name,
            "uri": blob.uri,
            "length": blob.length,
            "size": len(data),
            "sha": hashlib.sha256(data).hexdigest(),
            "text": data.decode("utf-8", "replace"),
            **extra,
        }
    )


@app.blob_trigger(arg_name="blob", path="samples-workitems/{name}", connection="AzureWebJobsStorage")
@app.blob_output(arg_name="out", path="results/seen/{name}/{rand-guid}", connection="AzureWebJobsStorage")
def seen(blob: func.InputStream, out: func.Out[str]) -> None:
    out.set(_record(blob))


@app.blob_trigger(arg_name="blob", path="parts/{stem}.{ext}", connection="AzureWebJobsStorage")
@app.blob_output(arg_name="out", path="results/parts/{ext}/{stem}/{rand-guid}", connection="AzureWebJobsStorage")
def parts(blob: func.InputStream, out: func.Out[str]) -> None:
    out.set(_record(blob))


@app.blob_trigger(arg_name="blob", path="doomed/{name}", connection="AzureWebJobsStorage")
def doomed(blob: func.InputStream) -> None:
    raise RuntimeError(f"cannot process {blob.name}")


@app.blob_trigger(arg_name="blob", path="binaries/{name}", connection="AzureWebJobsStorage", data_type="binary")
@app.blob_output(arg_name="out", path="results/binary/{name}/{rand-guid}", connection="AzureWebJobsStorage")
def binary(blob: func.InputStream, out: func.Out[str]) -> None:
    out.set(_record(blob))


@app.queue_trigger(arg_name="msg", queue_name="admin-only", connection="AzureWebJobsStorage")
@app.blob_output(arg_name="out", path="results/queued/{queueTrigger}/{rand-guid}", connection="AzureWebJobsStorage")
def queued(msg: func.QueueMessage, out: func.Out[str]) -> None:
    out.set(
        json.dumps(
            {
                "body": msg.get_body().decode(),
                "id": msg.id,
                "dequeue_count": msg.dequeue_count,
                "pop_receipt": msg.pop_receipt,
                "insertion_time": str(msg.insertion_time),
                "expiration_time": str(msg.expiration_time),
                "time_next_visible": str(msg.time_next_visible),
            }
        )
    )
