import os

import azure.functions as func

CONNECTION = os.environ['QUICKFUNC_MISSING_CONNECTION_SETTING']


def main(req: func.HttpRequest) -> str:
    return CONNECTION
