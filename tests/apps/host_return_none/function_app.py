"""A None returned to a queue or blob $return: the platform refuses it (the invocation fails);
any other text goes out."""

import azure.functions as func

app = func.FunctionApp()


@app.queue_trigger(arg_name="msg", queue_name="inbox", connection="AzureWebJobsStorage")
@app.queue_output(arg_name="$return", queue_name="outbox", connection="AzureWebJobsStorage")
def queue_none(msg: str) -> str:
    return None if msg == "none" else msg


@app.queue_trigger(arg_name="msg", queue_name="blob-inbox", connection="AzureWebJobsStorage")
@app.blob_output(arg_name="$return", path="out/{rand-guid}.txt", connection="AzureWebJobsStorage")
def blob_none(msg: str) -> str:
    return None if msg == "none" else msg
