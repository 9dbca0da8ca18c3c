"""Reply path: the odd cases of reply_cases in an `async def` function (on the loop)."""
import azure.functions as func

from reply_cases import run


async def main(req: func.HttpRequest) -> func.HttpResponse:
    return run(req)
