"""host.json extensions.durableTask: the defaults, the values taken, and errors naming the key."""

from __future__ import annotations

import pytest

from quickfunc.host.durable.options import DurableOptions, read_durable_options
from quickfunc.host.jsonfile import SettingsFileError


def test_defaults_without_host_json_or_section(tmp_path):
    assert read_durable_options(str(tmp_path)) == DurableOptions()
    (tmp_path / "host.json").write_text('{"version": "2.0"}')
    assert read_durable_options(str(tmp_path)) == DurableOptions()


def test_values_are_read_case_insensitively(tmp_path):
    (tmp_path / "host.json").write_text(
        '{"version": "2.0", "extensions": {"durabletask": {"HubName": "Mine",'
        ' "maxConcurrentActivityFunctions": 3, "maxconcurrentorchestratorfunctions": 2}}}'
    )
    assert read_durable_options(str(tmp_path)) == DurableOptions("Mine", 3, 2)


@pytest.mark.parametrize(
    "section, key",
    [
        ('{"maxConcurrentActivityFunctions": "8"}', "maxConcurrentActivityFunctions"),
        ('{"maxConcurrentOrchestratorFunctions": true}', "maxConcurrentOrchestratorFunctions"),
        ('{"hubName": ""}', "hubName"),
        ('{"overridableExistingInstanceStates": "Sometimes"}', "overridableExistingInstanceStates"),
        ("[]", "extensions.durableTask"),
    ],
)
def test_wrong_values_name_the_key(tmp_path, section, key):
    (tmp_path / "host.json").write_text(f'{{"version": "2.0", "extensions": {{"durableTask": {section}}}}}')
    with pytest.raises(SettingsFileError, match=key):
        read_durable_options(str(tmp_path))


def test_overridable_existing_instance_states(tmp_path):
    assert not DurableOptions().replace_running  # the extension's default: NonRunningStates
    for value, replace in (("AnyState", True), ("nonRunningStates", False)):
        (tmp_path / "host.json").write_text(
            f'{{"version": "2.0", "extensions": {{"durableTask": {{"overridableExistingInstanceStates": "{value}"}}}}}}'
        )
        assert read_durable_options(str(tmp_path)).replace_running is replace
