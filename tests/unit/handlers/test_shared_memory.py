"""CloseSharedMemoryResourcesRequest: this worker creates no maps, so each named map is answered
"not closed", and the host is warned about names it never got from this worker."""

from __future__ import annotations

from tests.helpers import LEVEL


def test_every_named_map_is_answered_not_closed(worker_harness):
    worker = worker_harness()
    response = worker.run(worker.channel.close_shared_memory(["map-a", "map-b"]))
    assert dict(response.close_map_results) == {"map-a": False, "map-b": False}


def test_unknown_maps_are_named_in_a_warning(worker_harness):
    worker = worker_harness()
    worker.run(worker.channel.close_shared_memory(["map-a", "map-b"]))
    warnings = [log for log in worker.channel.logs if "shared-memory" in log.message]
    assert len(warnings) == 1 and warnings[0].level == LEVEL("Warning")
    assert "map-a" in warnings[0].message and "map-b" in warnings[0].message


def test_no_maps_no_warning(worker_harness):
    worker = worker_harness()
    response = worker.run(worker.channel.close_shared_memory([]))
    assert dict(response.close_map_results) == {}
    assert not [log for log in worker.channel.logs if "shared-memory" in log.message]
