import json

import azure.functions as func


def main(req: func.HttpRequest, res: func.Out[func.HttpResponse]) -> None:
    res.set(func.HttpResponse(json.dumps({"seen": req.get_json()}), status_code=202,
                              headers={"X-Out": "named"}, mimetype="application/json"))
