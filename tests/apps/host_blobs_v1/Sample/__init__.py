"""The guide's blob input example as a v1 function, copying the blob it reads."""
import azure.functions as func


def main(req: func.HttpRequest, inputblob: bytes, copy: func.Out[bytes]) -> func.HttpResponse:
    if inputblob is None:
        return func.HttpResponse("no such blob", status_code=404)
    copy.set(inputblob)
    return func.HttpResponse(inputblob, mimetype="application/octet-stream")
