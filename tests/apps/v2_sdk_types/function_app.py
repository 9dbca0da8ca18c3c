"""SDK-typed parameters for the worker's own tests: each function describes the client it got
(no network calls), so tests can hand-craft the model_binding_data the host would send."""

import json

import azure.functions as func
from azurefunctions.extensions.bindings.blob import BlobClient, ContainerClient

app = func.FunctionApp(http_auth_level=func.AuthLevel.ANONYMOUS)


def _describe(client, **extra):
    return json.dumps({"type": type(client).__name__, "url": client.url, "id": id(client), **extra})


@app.route(route="one/{name}")
@app.blob_input(arg_name="client", path="samples/{name}", connection="SdkStorage")
def one(req: func.HttpRequest, client: BlobClient) -> str:
    return _describe(client, container=client.container_name, blob=client.blob_name)


@app.route(route="two/{name}")
@app.blob_input(arg_name="client", path="samples/{name}", connection="SdkStorage")
def two(req: func.HttpRequest, client: BlobClient) -> str:
    return _describe(client, container=client.container_name, blob=client.blob_name)


@app.route(route="whole")
@app.blob_input(arg_name="container", path="samples", connection="SdkStorage")
def whole(req: func.HttpRequest, container: ContainerClient) -> str:
    return _describe(container, container=container.container_name)


@app.blob_trigger(arg_name="client", path="incoming/{name}", connection="SdkStorage")
@app.queue_output(arg_name="out", queue_name="seen", connection="SdkStorage")
def fired(client: BlobClient, out: func.Out[str]) -> None:
    out.set(_describe(client, blob=client.blob_name))


@app.route(route="plain/{name}")
@app.blob_input(arg_name="text", path="samples/{name}", connection="SdkStorage")
def plain(req: func.HttpRequest, text: str) -> str:
    return text
