import os

import azure.functions as func


def main(req: func.HttpRequest) -> str:
    return f"{os.environ['GREETING']}, {req.route_params['name']}! ({os.environ['FROM_ENV']})"
