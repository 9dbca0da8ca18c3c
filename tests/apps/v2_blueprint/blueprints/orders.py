"""HTTP functions of the orders blueprint."""
import json

import azure.functions as func

from shared import greeting

from .pricing import price

bp = func.Blueprint()


@bp.route(route="orders/{order_id}", methods=["GET"])
def get_order(req: func.HttpRequest, context: func.Context) -> func.HttpResponse:
    return func.HttpResponse(json.dumps({
        "order_id": req.route_params["order_id"],
        "greeting": greeting("orders"),
        "price": price(req.route_params["order_id"]),
        "function_directory": context.function_directory,
    }), mimetype="application/json")


@bp.function_name(name="CreateOrder")
@bp.route(route="orders", methods=["POST"], auth_level=func.AuthLevel.FUNCTION)
@bp.queue_output(arg_name="created", queue_name="orders", connection="AzureWebJobsStorage")
def create_order(req: func.HttpRequest, created: func.Out[str]) -> func.HttpResponse:
    created.set(req.get_body().decode())
    return func.HttpResponse("accepted", status_code=202)
