"""quickfunc: a fast, wire-compatible Python language worker for the Azure Functions host."""

__version__ = "0.1.0"
