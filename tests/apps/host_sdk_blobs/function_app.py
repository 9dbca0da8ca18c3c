"""SDK-type blob bindings (azurefunctions-extensions-bindings-blob): a BlobClient, a
ContainerClient and a StorageStreamDownloader as inputs, and a BlobClient from a blob trigger that
copies what it reads to results/ with a plain blob output."""

import json

import azure.functions as func
import azurefunctions.extensions.bindings.blob as blob

app = func.FunctionApp(http_auth_level=func.AuthLevel.ANONYMOUS)


@app.route(route="client/{name}", methods=["GET"])
@app.blob_input(arg_name="client", path="samples/{name}", connection="AzureWebJobsStorage")
def client(req: func.HttpRequest, client: blob.BlobClient) -> func.HttpResponse:
    body = {
        "type": type(client).__name__,
        "container": client.container_name,
        "blob": client.blob_name,
        "exists": client.exists(),
    }
    if body["exists"]:
        body["text"] = client.download_blob().readall().decode()
    return func.HttpResponse(json.dumps(body), mimetype="application/json")


@app.route(route="container", methods=["GET"])
@app.blob_input(arg_name="container", path="samples", connection="AzureWebJobsStorage")
def container(req: func.HttpRequest, container: blob.ContainerClient) -> func.HttpResponse:
    names = sorted(item.name for item in container.list_blobs())
    body = {"type": type(container).__name__, "container": container.container_name, "names": names}
    return func.HttpResponse(json.dumps(body), mimetype="application/json")


@app.route(route="stream/{name}", methods=["GET"])
@app.blob_input(arg_name="stream", path="samples/{name}", connection="AzureWebJobsStorage")
def stream(req: func.HttpRequest, stream: blob.StorageStreamDownloader) -> func.HttpResponse:
    body = {"type": type(stream).__name__, "name": stream.name, "text": stream.readall().decode()}
    return func.HttpResponse(json.dumps(body), mimetype="application/json")


@app.route(route="plain/{name}", methods=["GET"])
@app.blob_input(arg_name="text", path="samples/{name}", connection="AzureWebJobsStorage")
def plain(req: func.HttpRequest, text: str) -> func.HttpResponse:
    return func.HttpResponse(text or "")


@app.blob_trigger(arg_name="client", path="sdk-in/{name}", connection="AzureWebJobsStorage")
@app.blob_output(arg_name="out", path="sdk-results/{name}", connection="AzureWebJobsStorage")
def copied(client: blob.BlobClient, out: func.Out[str]) -> None:
    data = client.download_blob().readall().decode()
    out.set(json.dumps({"type": type(client).__name__, "blob": client.blob_name, "text": data}))
