"""The shm_16m benchmark function: the blob input goes back out as the blob output."""

import azure.functions as func


def main(req: func.HttpRequest, inp: bytes, copy: func.Out[bytes]) -> func.HttpResponse:
    copy.set(inp)
    return func.HttpResponse(str(len(inp)))
