"""Reply path: the odd cases of reply_cases in a plain `def` function (the sync pool)."""
import azure.functions as func

from reply_cases import run


def main(req: func.HttpRequest) -> func.HttpResponse:
    return run(req)
