from importlib import metadata

try:
    __version__ = metadata.version("fn-conformance")
except metadata.PackageNotFoundError:  # pragma: no cover - running from a source tree
    __version__ = "0.0.0+source"
