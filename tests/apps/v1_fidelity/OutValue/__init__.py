"""Sets the value named by ?kind= on its http output parameter."""

import azure.functions as func

from __app__.SharedCode.values import VALUES


def main(req: func.HttpRequest, res: func.Out[func.HttpResponse]) -> None:
    res.set(VALUES[req.params["kind"]]())
