"""Good functions next to broken ones: each broken one is reported by name, the good ones run."""
import azure.functions as func

app = func.FunctionApp(http_auth_level=func.AuthLevel.ANONYMOUS)


@app.route(route="good")
def good(req: func.HttpRequest) -> func.HttpResponse:
    return func.HttpResponse("still works")


@app.route(route="renamed_param")
def renamed_param(request: func.HttpRequest) -> func.HttpResponse:
    return func.HttpResponse("never")


@app.route(route="extra_param")
def extra_param(req: func.HttpRequest, count: int) -> func.HttpResponse:
    return func.HttpResponse("never")


@app.route(route="wrong_annotation")
def wrong_annotation(req: func.QueueMessage) -> func.HttpResponse:
    return func.HttpResponse("never")


@app.queue_trigger(arg_name="msg", queue_name="in", connection="AzureWebJobsStorage")
@app.queue_output(arg_name="out", queue_name="out", connection="AzureWebJobsStorage")
def out_without_out(msg: func.QueueMessage, out: str) -> None:
    pass


@app.route(route="bad_return")
def bad_return(req: func.HttpRequest) -> int:
    return 1


@app.route(route="bad_context")
def bad_context(req: func.HttpRequest, context: str) -> func.HttpResponse:
    return func.HttpResponse("never")


@app.route(route="unresolvable")
def unresolvable(req: "NoSuchType") -> func.HttpResponse:  # noqa: F821
    return func.HttpResponse("never")


@app.queue_output(arg_name="msg", queue_name="q", connection="AzureWebJobsStorage")
def no_trigger(msg: func.Out[str]) -> None:
    pass


@app.function_name(name="twin")
@app.route(route="twin_one")
def twin_one(req: func.HttpRequest) -> func.HttpResponse:
    return func.HttpResponse("one")


@app.function_name(name="twin")
@app.route(route="twin_two")
def twin_two(req: func.HttpRequest) -> func.HttpResponse:
    return func.HttpResponse("two")


@app.route(route="shared/{id}")
def shared_a(req: func.HttpRequest) -> func.HttpResponse:
    return func.HttpResponse("a")


@app.route(route="/Shared/{key}/")
def shared_b(req: func.HttpRequest) -> func.HttpResponse:
    return func.HttpResponse("b")


@app.route(route="split", methods=["GET"])
def split_get(req: func.HttpRequest) -> func.HttpResponse:
    return func.HttpResponse("get")


@app.route(route="split", methods=["POST"])
def split_post(req: func.HttpRequest) -> func.HttpResponse:
    return func.HttpResponse("post")


@app.route(route="typed/{id:int}")
def typed_int(req: func.HttpRequest) -> func.HttpResponse:
    return func.HttpResponse("int")


@app.route(route="typed/{name}")
def typed_any(req: func.HttpRequest) -> func.HttpResponse:
    return func.HttpResponse("any")


@app.retry(strategy="fixed_delay", max_retry_count="3", delay_interval="10s")
@app.timer_trigger(arg_name="t", schedule="0 * * * * *")
def bad_retry_interval(t: func.TimerRequest) -> None:
    pass


@app.retry(strategy="linear", max_retry_count="3", delay_interval="00:00:10")
@app.timer_trigger(arg_name="t", schedule="0 * * * * *")
def bad_retry_strategy(t: func.TimerRequest) -> None:
    pass


@app.retry(strategy="exponential_backoff", max_retry_count="many",
           minimum_interval="00:00:01", maximum_interval="00:01:00")
@app.timer_trigger(arg_name="t", schedule="0 * * * * *")
def bad_retry_count(t: func.TimerRequest) -> None:
    pass


@app.route(route="private")
def _private(req: func.HttpRequest) -> func.HttpResponse:
    return func.HttpResponse("never")


@app.function_name(name="host")
@app.route(route="reserved")
def reserved_name(req: func.HttpRequest) -> func.HttpResponse:
    return func.HttpResponse("never")


@app.queue_trigger(arg_name="msg", queue_name="in", connection="AzureWebJobsStorage")
@app.queue_output(arg_name="msg", queue_name="out", connection="AzureWebJobsStorage")
def same_binding_name(msg: func.QueueMessage) -> None:
    pass
