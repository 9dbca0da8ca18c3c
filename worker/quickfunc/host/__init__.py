"""Host side of the Functions host <-> worker protocol: gRPC server, worker channels, processes.

Imports nothing of the worker's internals (only ``quickfunc.protos``), so it can drive any worker.
"""
