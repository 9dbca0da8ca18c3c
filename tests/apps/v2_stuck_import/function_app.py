"""A v2 app whose import is held up by utils.py until the test releases it."""

import azure.functions as func
import utils

app = func.FunctionApp(http_auth_level=func.AuthLevel.ANONYMOUS)


@app.route(route="hello")
def hello(req: func.HttpRequest) -> str:
    return utils.greeting()
