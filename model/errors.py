"""The one error type for bad user input.

Every malformed scenario, sweep or run file ends as an `InputError` naming the file and the
field; the command-line interface prints its one-line message and exits with status 2
(configuration is validated, with clear errors).
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

import pydantic


class InputError(Exception):
    """A user-supplied file or option is unusable.

    Parameters
    ----------
    source
        The file (or command-line option) the bad value came from.
    field
        Dotted path of the offending key, or "" when the whole file is at fault.
    message
        What is wrong and what is allowed.
    """

    def __init__(self, source: str | Path, field: str, message: str) -> None:
        self.source = str(source)
        self.field = field
        self.message = message
        where = f"{self.source}: {field}: " if field else f"{self.source}: "
        super().__init__(where + message)


def from_validation_error(source: str | Path, err: pydantic.ValidationError) -> InputError:
    """Turn pydantic's first validation problem into a one-line `InputError`."""
    first = err.errors()[0]
    field = ".".join(str(p) for p in first["loc"])
    msg = first["msg"]
    if first["type"] == "extra_forbidden":
        msg = "unknown key"
    value = first.get("input")
    if first["type"] != "extra_forbidden" and not isinstance(value, dict | list):
        msg = f"{msg} (got {value!r})"
    return InputError(source, field, msg)


def read_toml(path: str | Path, what: str = "file") -> dict[str, Any]:
    """Parse a TOML file; an unreadable file or bad TOML becomes a one-line `InputError`."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as err:
        reason = err.strerror if isinstance(err, OSError) and err.strerror else str(err)
        raise InputError(path, "", f"cannot read {what} ({reason})") from None
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        raise InputError(path, "", f"invalid TOML: {err}") from None
