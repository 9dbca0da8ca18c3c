"""Returns a text chosen by ?kind=: several hold a JSON response object, which the host reads."""

import json

import azure.functions as func

TEXTS = {
    "status": json.dumps({"status": 405, "headers": {"X-Why": "object"}, "body": "nope"}),
    "statusCode": json.dumps({"StatusCode": "201", "Body": {"made": 1}, "status": 500}),
    "badStatus": json.dumps({"statusCode": "soon", "body": "still fine"}),
    "noBody": json.dumps({"status": 404, "headers": {"X-Why": "object"}}),
    "array": "[1, 2]",
    "plain": "just text",
}


def main(req: func.HttpRequest) -> str:
    return TEXTS[req.params["kind"]]
