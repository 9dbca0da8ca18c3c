"""The request handed to the code that runs an invocation is taken once, then let go."""

import sys

import pytest

from quickfunc.invocation import Handover
from quickfunc.protos import pb


def test_the_request_is_taken_once_and_the_handover_keeps_only_the_id():
    request = pb.InvocationRequest(invocation_id="inv-1", function_id="f")
    request.input_data.add(name="req").data.bytes = b"x" * 1024
    handover = Handover(request)
    refs_held = sys.getrefcount(request)
    assert handover.take() is request
    assert sys.getrefcount(request) == refs_held - 1  # the handover no longer holds it
    assert handover.invocation_id == "inv-1"
    with pytest.raises(RuntimeError, match="inv-1 was already started"):
        handover.take()
