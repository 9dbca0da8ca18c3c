import azure.functions as func


def main(req: func.HttpRequest, msg: func.Out[str]) -> str:
    msg.set(f"v1 message {req.params.get('n', '0')}")
    return "written"
