"""A Flask app served through func.WsgiFunctionApp (routes as if host.json routePrefix were "")."""
import logging
import time

import azure.functions as func
from flask import Flask, jsonify, request

flask_app = Flask(__name__)


@flask_app.get("/hello")
def hello():
    return f"Hello, {request.args.get('name', 'world')}!"


@flask_app.post("/echo")
def echo():
    return jsonify(got=request.get_json(), content_type=request.headers.get("Content-Type"))


@flask_app.get("/users/<int:user_id>")
def user(user_id: int):
    return jsonify(user_id=user_id), 202, {"X-App": "flask"}


@flask_app.get("/sleep")
def sleep():
    time.sleep(float(request.args.get("seconds", "0.2")))
    return "slept"


@flask_app.get("/invocation")
def invocation():
    logging.info("flask handled %s", request.path)
    return jsonify(invocation_id=request.environ.get("azure_functions.invocation_id"))


app = func.WsgiFunctionApp(app=flask_app.wsgi_app, http_auth_level=func.AuthLevel.ANONYMOUS)
