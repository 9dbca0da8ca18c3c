"""Connection strings parsed with errors naming the setting; which backend each connection
resolves to (embedded, Azurite, fallback, --storage) and the banner line saying so."""

from __future__ import annotations

import pytest

from quickfunc.host.catalog import Binding
from quickfunc.host.storage.connection_string import (
    AZURITE_KEY,
    ConnectionStringError,
    parse_connection_string,
)
from quickfunc.host.storage.resolve import (
    StorageConfigError,
    connection_names,
    find_setting,
    identity_setting,
    resolve_connections,
)
from tests.azurite import answers
from tests.helpers import run

KEY = "a2V5a2V5a2V5a2V5"  # base64


def test_an_account_string_gives_the_default_endpoints():
    account = parse_connection_string(
        "S", f"DefaultEndpointsProtocol=https;AccountName=acct;AccountKey={KEY};EndpointSuffix=core.chinacloudapi.cn"
    )
    assert account.blob_endpoint == "https://acct.blob.core.chinacloudapi.cn"
    assert account.queue_endpoint == "https://acct.queue.core.chinacloudapi.cn"
    assert not account.development


def test_explicit_endpoints_and_a_sas_need_no_account_name():
    account = parse_connection_string(
        "S", "BlobEndpoint=https://b.example/;QueueEndpoint=https://q.example;SharedAccessSignature=sv=1&sig=x"
    )
    assert (account.blob_endpoint, account.queue_endpoint) == ("https://b.example", "https://q.example")


def test_use_development_storage_means_azurite_on_its_default_ports():
    account = parse_connection_string("AzureWebJobsStorage", "UseDevelopmentStorage=true")
    assert account.development and account.endpoints() == "127.0.0.1:10000/10001"
    assert AZURITE_KEY in account.connection_string


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("garbage", "'garbage' is not a Key=Value pair"),
        ("AccountName=a;Colour=blue", "unknown connection string key 'Colour'"),
        ("AccountName=a", "neither AccountKey nor SharedAccessSignature"),
        ("AccountName=a;AccountKey=not base64!", "AccountKey that is not base64"),
        (f"AccountKey={KEY}", "AccountKey but no AccountName"),
        ("UseDevelopmentStorage=false", "only 'true' means Azurite"),
        (f"AccountName=a;AccountKey={KEY};BlobEndpoint=ftp://x", "not an http(s) URL"),
        (f"DefaultEndpointsProtocol=ftp;AccountName=a;AccountKey={KEY}", "use https or http"),
        (" ; ", "is empty"),
    ],
)
def test_a_bad_connection_string_names_the_setting(text, expected):
    with pytest.raises(ConnectionStringError) as info:
        parse_connection_string("MyStorage", text)
    assert "the setting MyStorage" in str(info.value) and expected in str(info.value)
    assert KEY not in str(info.value)


def test_connection_names_start_with_azure_webjobs_storage_then_each_binding_once():
    bindings = [
        Binding("req", "httpTrigger", "in"),
        Binding("msg", "queueTrigger", "in", {"connection": "Orders"}),
        Binding("out", "blob", "out", {"connection": "orders"}),
        Binding("doc", "cosmosDB", "in", {"connection": "Cosmos"}),
        Binding("other", "queue", "out", {}),
    ]
    assert connection_names(bindings) == ["AzureWebJobsStorage", "Orders"]


def test_a_connection_setting_is_also_found_with_the_azure_webjobs_prefix():
    assert find_setting({"AzureWebJobsOrders": "x"}, "Orders") == ("AzureWebJobsOrders", "x")
    assert find_setting({"Orders": "y", "AzureWebJobsOrders": "x"}, "Orders") == ("Orders", "y")
    assert find_setting({}, "Orders") == ("Orders", "")


def _lines(app_dir, settings, names=("AzureWebJobsStorage",), mode="auto", unused=()):
    async def body():
        connections = await resolve_connections(str(app_dir), settings, names, mode, unused)
        try:
            return connections.banner_lines()
        finally:
            await connections.close()

    return run(body())


def test_no_setting_resolves_to_the_embedded_store(tmp_path):
    assert _lines(tmp_path, {}, ["AzureWebJobsStorage", "Other"]) == [
        "Storage AzureWebJobsStorage: embedded (.quickfunc/storage.db)",
        "Storage Other: embedded (.quickfunc/storage.db) (Other is not set)",
    ]
    assert not (tmp_path / ".quickfunc").exists()


def test_development_storage_without_azurite_falls_back_and_says_so(tmp_path):
    assert not answers(10000) or not answers(10001), "something listens on Azurite's default ports"
    assert _lines(tmp_path, {"AzureWebJobsStorage": "UseDevelopmentStorage=true"}) == [
        "Storage AzureWebJobsStorage: embedded (.quickfunc/storage.db) "
        "(UseDevelopmentStorage=true, but no Azurite answers at 127.0.0.1:10000/10001)"
    ]
    with pytest.raises(StorageConfigError, match="--storage connection: the setting AzureWebJobsStorage is Use"):
        _lines(tmp_path, {"AzureWebJobsStorage": "UseDevelopmentStorage=true"}, mode="connection")


def test_forced_modes(tmp_path, azurite):
    settings = {"AzureWebJobsStorage": azurite.connection_string}
    assert _lines(tmp_path, settings, mode="embedded") == [
        "Storage AzureWebJobsStorage: embedded (.quickfunc/storage.db) (--storage embedded)"
    ]
    with pytest.raises(StorageConfigError, match="--storage connection: the setting Orders is not set"):
        _lines(tmp_path, settings, ["AzureWebJobsStorage", "Orders"], mode="connection")


def test_an_azurite_string_resolves_to_azurite(tmp_path, azurite):
    settings = {"AzureWebJobsStorage": azurite.connection_string, "AzureWebJobsOrders": azurite.connection_string}
    assert _lines(tmp_path, settings, ["AzureWebJobsStorage", "Orders"]) == [
        f"Storage AzureWebJobsStorage: Azurite at 127.0.0.1:{azurite.blob_port}/{azurite.queue_port}",
        f"Storage Orders: Azurite at 127.0.0.1:{azurite.blob_port}/{azurite.queue_port}",
    ]


def test_refused_credentials_are_a_start_up_error_naming_the_setting(tmp_path, azurite):
    wrong = azurite.connection_string.replace(AZURITE_KEY, KEY * 4)
    with pytest.raises(StorageConfigError) as info:
        _lines(tmp_path, {"Orders": wrong}, ["Orders"])
    message = str(info.value)
    assert message.startswith("the storage account of setting Orders (127.0.0.1:")
    assert "AuthorizationFailure" in message or "authenticate" in message.lower(), message
    assert "\n" not in message and KEY not in message


def test_an_unparseable_setting_is_a_start_up_error(tmp_path):
    with pytest.raises(StorageConfigError, match="the setting AzureWebJobsStorage is not a storage connection"):
        _lines(tmp_path, {"AzureWebJobsStorage": "nonsense"})


def test_an_account_that_does_not_answer_is_a_prompt_start_up_error(tmp_path):
    text = f"AccountName=acct;AccountKey={KEY};BlobEndpoint=http://127.0.0.1:1/a;QueueEndpoint=http://127.0.0.1:1/a"
    with pytest.raises(StorageConfigError, match=r"^the storage account of setting S \(127.0.0.1:1/1\) cannot be used"):
        _lines(tmp_path, {"S": text}, ["S"])


def test_a_connection_no_function_uses_is_not_checked_and_cannot_stop_the_start(tmp_path):
    bad = {"AzureWebJobsStorage": "AccountName=a;AccountKey=not base64!"}
    assert _lines(tmp_path, bad, unused=["AzureWebJobsStorage"]) == [
        "Storage AzureWebJobsStorage: embedded (.quickfunc/storage.db) (the setting AzureWebJobsStorage "
        "has an AccountKey that is not base64; no function uses it)"
    ]
    offline = {"AzureWebJobsStorage": f"AccountName=acct;AccountKey={KEY};QueueEndpoint=http://127.0.0.1:1/a"}
    assert _lines(tmp_path, offline, unused=["AzureWebJobsStorage"]) == [
        "Storage AzureWebJobsStorage: Azure Storage account acct (not checked: no function uses it)"
    ]
    with pytest.raises(StorageConfigError):  # the same, used by a function, stops the start
        _lines(tmp_path, offline)


def test_connection_names_used_by_functions_alone():
    assert connection_names([Binding("b", "blobTrigger", "in", {"connection": ""})], default=False) == [
        "AzureWebJobsStorage"
    ]
    assert connection_names([Binding("r", "httpTrigger", "in")], default=False) == []


def test_an_identity_based_connection_is_said_on_its_line_not_silently_embedded(tmp_path):
    settings = {
        "AzureWebJobsStorage__accountName": "acct",
        "Orders__queueServiceUri": "https://acct.queue.core.windows.net",
    }
    assert _lines(tmp_path, settings, ["AzureWebJobsStorage", "Orders"]) == [
        "Storage AzureWebJobsStorage: embedded (.quickfunc/storage.db) (NOT the account: "
        "AzureWebJobsStorage__accountName makes AzureWebJobsStorage an identity-based connection, which the "
        "local host cannot use; set AzureWebJobsStorage to a connection string)",
        "Storage Orders: embedded (.quickfunc/storage.db) (NOT the account: Orders__queueServiceUri makes "
        "Orders an identity-based connection, which the local host cannot use; set Orders to a connection string)",
    ]
    with pytest.raises(StorageConfigError, match=r"^--storage connection: Orders__queueServiceUri makes Orders an"):
        _lines(tmp_path, settings, ["Orders"], mode="connection")
    # the prefixed form counts too; a connection string beside it wins, as in the host
    assert (
        identity_setting({"AzureWebJobsOrders__serviceUri": "https://x"}, "Orders") == "AzureWebJobsOrders__serviceUri"
    )
    assert identity_setting({"orders:ACCOUNTNAME": "acct"}, "Orders") == "orders:ACCOUNTNAME"
    assert identity_setting({"Orders__serviceUri": " ", "OrdersBackup__accountName": "a"}, "Orders") == ""
    account = f"AccountName=acct;AccountKey={KEY};QueueEndpoint=http://127.0.0.1:1/a"
    assert _lines(tmp_path, {**settings, "Orders": account}, ["Orders"], unused=["Orders"]) == [
        "Storage Orders: Azure Storage account acct (not checked: no function uses it)"
    ]
