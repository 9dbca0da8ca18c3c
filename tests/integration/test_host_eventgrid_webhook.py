"""The Event Grid webhook of the local host, as the Event Grid extension answers it (its
EventGridExtensionConfigProvider.ProcessAsync: functionName lookup -> 404 "cannot find function",
aeg-event-type SubscriptionValidation -> 200 {"validationResponse": code}, Notification -> one run
per event, 202, or 500 with the error when a run fails; Unsubscribe -> 202; anything else 400).
The docs' local-testing URL is /runtime/webhooks/EventGrid?functionName={name}."""

from __future__ import annotations

import json

import pytest

from tests.helpers import app_path
from tests.integration.hostproc import LocalHostProcess, request

_HOOK = "/runtime/webhooks/EventGrid?functionName="


@pytest.fixture(scope="module")
def host():
    with LocalHostProcess(app_path("public_eventgrid")) as running:
        yield running


def _post(host, name: str, body, kind: str | None = "Notification"):
    headers = {"Content-Type": "application/json"}
    if kind is not None:
        headers["aeg-event-type"] = kind
    return request(host.url + _HOOK + name, "POST", json.dumps(body).encode(), headers)


def test_notification_runs_the_function_once_per_event_and_answers_202(host):
    events = [
        {"id": "e1", "eventType": "Order.Created", "subject": "orders/1", "data": {"n": 1}, "dataVersion": "1"},
        {"id": "e2", "eventType": "Order.Created", "subject": "orders/2", "data": {"n": 2}, "dataVersion": "1"},
    ]
    reply = _post(host, "on_event", events)
    assert reply.status == 202, reply.text
    assert host.wait_for_line(r'on_event \([0-9a-f]{8}\) event e1 Order.Created orders/1 \{"n": 1\}', 5)
    assert host.wait_for_line(r'on_event \([0-9a-f]{8}\) event e2 Order.Created orders/2 \{"n": 2\}', 5)


def test_a_cloud_event_object_is_one_event(host):
    event = {"specversion": "1.0", "id": "c1", "type": "Demo.Happened", "source": "/demo", "data": {"k": "v"}}
    assert _post(host, "on_event", event).status == 202
    assert host.wait_for_line(r"on_event \([0-9a-f]{8}\) event c1 ", 5), host.output()


def test_a_failed_run_answers_500_with_its_error(host):
    reply = _post(host, "on_event", [{"id": "f1", "eventType": "T", "subject": "fail", "data": {}}])
    assert reply.status == 500
    assert "subject says fail" in reply.text


def test_subscription_validation_echoes_the_code(host):
    body = [
        {
            "id": "v",
            "eventType": "Microsoft.EventGrid.SubscriptionValidationEvent",
            "data": {"validationCode": "abc-123"},
        }
    ]
    reply = _post(host, "on_event", body, "SubscriptionValidation")
    assert (reply.status, reply.json()) == (200, {"validationResponse": "abc-123"})


def test_unknown_function_is_404_and_a_missing_event_type_400(host):
    reply = _post(host, "nope", [])
    assert (reply.status, reply.text) == (404, "cannot find function: 'nope'")
    assert _post(host, "plain", []).status == 404  # not an Event Grid function
    assert _post(host, "on_event", [], kind=None).status == 400
    assert _post(host, "on_event", [], kind="Unsubscribe").status == 202


def test_the_cloud_events_validation_handshake_allows_the_origin(host):
    # CloudEvents webhook validation: OPTIONS with WebHook-Request-Origin, echoed back
    origin = {"WebHook-Request-Origin": "eventgrid.azure.net"}
    reply = request(host.url + _HOOK + "on_event", "OPTIONS", None, origin)
    assert (reply.status, reply.headers["WebHook-Allowed-Origin"]) == (200, "eventgrid.azure.net")
