"""An app whose functions live mostly in Blueprints, attached with register_functions / register_blueprint."""
import azure.functions as func

from blueprints import jobs
from blueprints.orders import bp as orders_bp
from shared import greeting

app = func.FunctionApp(http_auth_level=func.AuthLevel.ANONYMOUS)
app.register_functions(orders_bp)
app.register_blueprint(jobs.bp)


@app.route(route="home")
def home(req: func.HttpRequest) -> func.HttpResponse:
    return func.HttpResponse(greeting("home"))
