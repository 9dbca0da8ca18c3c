"""An Event Grid function like the template's, run locally by posting events to the extension's
webhook (/runtime/webhooks/EventGrid?functionName=on_event)."""

import json
import logging

import azure.functions as func

app = func.FunctionApp()


@app.event_grid_trigger(arg_name="event")
def on_event(event: func.EventGridEvent) -> None:
    # an event in the CloudEvents schema arrives as the library's CloudEvent (type, no event_type)
    kind = getattr(event, "event_type", None) or getattr(event, "type", "")
    subject = getattr(event, "subject", "")
    logging.info("event %s %s %s %s", event.id, kind, subject, json.dumps(event.get_json()))
    if subject == "fail":
        raise ValueError("subject says fail")


@app.route(route="plain", auth_level=func.AuthLevel.ANONYMOUS)
def plain(req: func.HttpRequest) -> str:
    return "not an Event Grid function"
