"""Generated protobuf messages of the host <-> worker protocol (see scripts/gen_protos.py)."""

from . import function_rpc_pb2 as pb  # noqa: F401
from .function_rpc_pb2 import *  # noqa: F401,F403

#: the one gRPC method of the FunctionRpc service, as it appears on the wire
EVENT_STREAM_METHOD = "/AzureFunctionsRpcMessages.FunctionRpc/EventStream"
