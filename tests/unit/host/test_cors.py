"""CORS decisions (Host.CORS / --cors): which origins get which Access-Control-* headers, and the
settings that feed them (local.settings.json Host, command line, their precedence and errors)."""

from __future__ import annotations

import json

import pytest

from quickfunc.host.__main__ import parse_options
from quickfunc.host.config import ConfigError, HostOptions, load_config
from quickfunc.host.cors import CorsError, CorsPolicy, is_preflight, parse_origins
from quickfunc.host.jsonfile import SettingsFileError

A, B = "http://a.test:3000", "https://b.test"


def _preflight(origin: str, method: str = "PUT", headers: str = "") -> dict[str, str]:
    request = {"Origin": origin, "Access-Control-Request-Method": method}
    if headers:
        request["Access-Control-Request-Headers"] = headers
    return request


def test_origins_are_split_on_commas_trimmed_and_empty_entries_dropped():
    assert parse_origins(f" {A} ,,{B}/ ") == (A, B)
    assert parse_origins("") == ()
    assert parse_origins("*") == ("*",)


def test_a_preflight_is_options_with_origin_and_requested_method():
    assert is_preflight("OPTIONS", _preflight(A))
    assert is_preflight("options", _preflight(A))
    assert not is_preflight("OPTIONS", {"Origin": A})
    assert not is_preflight("OPTIONS", {"Access-Control-Request-Method": "PUT"})
    assert not is_preflight("GET", _preflight(A))


def test_preflight_from_a_listed_origin_echoes_origin_method_and_headers():
    policy = CorsPolicy((A, B))
    assert policy.preflight_headers(_preflight(A, "PUT", "content-type, x-custom")) == {
        "Access-Control-Allow-Origin": A,
        "Access-Control-Allow-Methods": "PUT",
        "Access-Control-Allow-Headers": "content-type,x-custom",
        "Vary": "Origin",
    }


def test_origins_match_without_regard_to_case():
    assert CorsPolicy((A,)).response_headers({"Origin": A.upper()})["Access-Control-Allow-Origin"] == A.upper()


def test_an_origin_not_listed_gets_no_cors_headers():
    policy = CorsPolicy((A,), credentials=True)
    assert policy.preflight_headers(_preflight("http://evil.test")) == {}
    assert policy.response_headers({"Origin": "http://evil.test"}) == {}
    assert policy.response_headers({"Origin": A + ".evil.test"}) == {}
    assert policy.response_headers({}) == {}


def test_credentials_add_allow_credentials_and_one_origin_needs_no_vary():
    headers = CorsPolicy((A,), credentials=True).response_headers({"Origin": A})
    assert headers == {"Access-Control-Allow-Origin": A, "Access-Control-Allow-Credentials": "true"}


def test_star_answers_any_origin_with_star():
    policy = CorsPolicy(("*",))
    assert policy.response_headers({"Origin": "http://anything.test"}) == {"Access-Control-Allow-Origin": "*"}
    assert policy.preflight_headers(_preflight("null", "DELETE"))["Access-Control-Allow-Origin"] == "*"


def test_star_with_credentials_is_refused():
    with pytest.raises(CorsError, match="CORSCredentials"):
        CorsPolicy(("*",), credentials=True)


def test_apply_keeps_a_vary_the_function_set():
    policy = CorsPolicy((A, B))
    headers = {"Vary": "Accept-Encoding"}
    policy.apply(headers, {"Origin": B})
    assert headers == {"Vary": "Accept-Encoding, Origin", "Access-Control-Allow-Origin": B}
    policy.apply(headers, {"Origin": B})
    assert headers["Vary"] == "Accept-Encoding, Origin"


def _app(tmp_path, host_section):
    settings = {"IsEncrypted": False, "Values": {}, "Host": host_section}
    (tmp_path / "local.settings.json").write_text(json.dumps(settings, indent=2))
    return str(tmp_path)


def test_host_cors_and_credentials_come_from_local_settings(tmp_path):
    config = load_config(HostOptions(app_dir=_app(tmp_path, {"CORS": f"{A},{B}", "CORSCredentials": True})), {})
    assert config.cors == CorsPolicy((A, B), credentials=True)


def test_no_cors_setting_means_no_cors(tmp_path):
    assert load_config(HostOptions(app_dir=_app(tmp_path, {})), {}).cors is None


def test_the_command_line_wins_over_host_cors(tmp_path):
    app = _app(tmp_path, {"CORS": A})
    options = parse_options([app, "--cors", B, "--cors-credentials"])
    assert load_config(options, {}).cors == CorsPolicy((B,), credentials=True)


def test_star_with_credentials_in_settings_is_a_configuration_error(tmp_path):
    with pytest.raises(ConfigError, match=r'"\*".*credentials'):
        load_config(HostOptions(app_dir=_app(tmp_path, {"CORS": "*", "CORSCredentials": True})), {})


@pytest.mark.parametrize(
    ("section", "key"), [({"CORS": ["http://a"]}, "Host.CORS"), ({"CORSCredentials": "yes"}, "Host.CORSCredentials")]
)
def test_wrongly_typed_cors_settings_name_the_key(tmp_path, section, key):
    with pytest.raises(SettingsFileError, match=key.replace(".", r"\.")):
        load_config(HostOptions(app_dir=_app(tmp_path, section)), {})
