"""A v2 app whose own modules have names a worker package could have: worker, host, app, functions."""
import azure.functions as func

import app
import host
from functions import shout
from worker import do_work

fa = func.FunctionApp(http_auth_level=func.AuthLevel.ANONYMOUS)


@fa.route(route="own")
def own(req: func.HttpRequest) -> func.HttpResponse:
    return func.HttpResponse(f"{do_work('x')}|{host.NAME}|{app.NAME}|{shout('y')}")
