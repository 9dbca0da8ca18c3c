"""An HTTP streaming app with one classic function: the platform makes every HTTP function of
such an app a streaming one, so the classic annotations are refused."""

import azure.functions as func
from azurefunctions.extensions.http.fastapi import Request, Response

app = func.FunctionApp(http_auth_level=func.AuthLevel.ANONYMOUS)


@app.route(route="new")
async def new(req: Request) -> Response:
    return Response("new")


@app.route(route="old")
def old(req: func.HttpRequest) -> func.HttpResponse:
    return func.HttpResponse("old")
