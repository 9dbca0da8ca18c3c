import azure.functions as func

import app
import host
from functions import shout
from worker import do_work


def main(req: func.HttpRequest) -> func.HttpResponse:
    return func.HttpResponse(f"{do_work('x')}|{host.NAME}|{app.NAME}|{shout('y')}")
