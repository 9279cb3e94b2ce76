"""alt401k: an agent-based model of the U.S. 401(k) market opened to alternative assets."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("alt401k")
except PackageNotFoundError:  # running from a source tree that was not installed
    __version__ = "0+unknown"

