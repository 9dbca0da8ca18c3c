"""The local host's blob binding app: blob inputs and outputs with binding expressions, and
bindings the local host cannot serve."""
import json

import azure.functions as func

app = func.FunctionApp(http_auth_level=func.AuthLevel.ANONYMOUS)


def _describe(value):
    if value is None:
        return {"type": "None"}
    if isinstance(value, func.InputStream):
        data = value.read()
        return {"type": "InputStream", "hex": data.hex(), "name": value.name, "uri": value.uri,
                "length": value.length}
    if isinstance(value, bytes):
        return {"type": "bytes", "hex": value.hex()}
    return {"type": type(value).__name__, "text": value}


@app.route(route="sample", methods=["GET"])
@app.blob_input(arg_name="inputblob", path="samples/{id}", connection="AzureWebJobsStorage")
def sample(req: func.HttpRequest, inputblob: str) -> func.HttpResponse:
    return func.HttpResponse(json.dumps(_describe(inputblob)), mimetype="application/json")


@app.route(route="sample-bytes", methods=["GET"])
@app.blob_input(arg_name="inputblob", path="samples/{Query.name}", data_type=func.DataType.BINARY,
                connection="AzureWebJobsStorage")
def sample_bytes(req: func.HttpRequest, inputblob: bytes) -> func.HttpResponse:
    return func.HttpResponse(json.dumps(_describe(inputblob)), mimetype="application/json")


@app.route(route="sample-stream/{name}", methods=["GET"])
@app.blob_input(arg_name="inputblob", path="samples/{name}", data_type=func.DataType.BINARY,
                connection="AzureWebJobsStorage")
def sample_stream(req: func.HttpRequest, inputblob: func.InputStream) -> func.HttpResponse:
    return func.HttpResponse(json.dumps(_describe(inputblob)), mimetype="application/json")


@app.route(route="write/{name}", methods=["POST"])
@app.blob_output(arg_name="outputblob", path="outputs/{name}", connection="AzureWebJobsStorage")
def write(req: func.HttpRequest, outputblob: func.Out[str]) -> func.HttpResponse:
    outputblob.set(req.get_body().decode())
    if req.params.get("fail"):
        raise RuntimeError("failed after setting the output")
    return func.HttpResponse("written", status_code=201)


@app.route(route="write-bytes/{name}", methods=["POST"])
@app.blob_output(arg_name="outputblob", path="outputs/{name}", connection="AzureWebJobsStorage")
def write_bytes(req: func.HttpRequest, outputblob: func.Out[bytes]) -> func.HttpResponse:
    outputblob.set(req.get_body())
    return func.HttpResponse("written", status_code=201)


@app.route(route="returned/{name}", methods=["POST"], binding_arg_name="resp")
@app.blob_output(arg_name="$return", path="%ARCHIVE_CONTAINER%/{name}", connection="AzureWebJobsStorage")
def returned(req: func.HttpRequest, resp: func.Out[func.HttpResponse]) -> str:
    resp.set(func.HttpResponse("archived", status_code=201))
    return req.get_body().decode()


@app.route(route="order", methods=["POST"])
@app.blob_output(arg_name="outputblob", path="orders/{item}.txt", connection="AzureWebJobsStorage")
def order(req: func.HttpRequest, outputblob: func.Out[str]) -> str:
    outputblob.set(req.get_body().decode())
    return "ordered"


@app.route(route="stamped", methods=["POST"])
@app.blob_output(arg_name="byguid", path="stamped/{rand-guid}.txt", connection="AzureWebJobsStorage")
@app.blob_output(arg_name="bydate", path="stamped/{DateTime}.txt", connection="AzureWebJobsStorage")
def stamped(req: func.HttpRequest, byguid: func.Out[str], bydate: func.Out[str]) -> str:
    byguid.set("guid")
    bydate.set("date")
    return "stamped"


@app.route(route="unserved", methods=["GET"])
@app.cosmos_db_input(arg_name="docs", connection="CosmosConn", database_name="shop", container_name="orders")
@app.service_bus_queue_output(arg_name="msg", connection="ServiceBusConn", queue_name="jobs")
def unserved(req: func.HttpRequest, docs: func.DocumentList, msg: func.Out[str]) -> str:
    msg.set("sent")
    return json.dumps({"docs": None if docs is None else len(docs)})
