"""Value conversion for invocations: protobuf TypedData <-> azure.functions Datum <-> user types.

See datum.py (wire values), http.py (HTTP responses), convert.py (converters) and context.py.
"""
