"""CCOV_PROCESS: the settings a measured process hands to the Python
processes it starts (ccov.measuring.childproc reads them there), written by
the measurement session (ccov.measuring.measure).

The value is data, never code: fields split on control characters, no eval,
no import named by it.  The encoding avoids `json`, whose import would cost
every `ccov run` a few milliseconds of start-up.
"""

from __future__ import annotations

import os

ENV_VAR = "CCOV_PROCESS"
_VERSION = "ccov-process-3"
_FIELD = "\x1e"  # record separator
_ITEM = "\x1f"  # unit separator
_FLAGS = {"everywhere": "e", "leave_coverage_id": "y", "relative_files": "r", "branch": "b"}


class Settings:
    """What a child needs to measure as its parent does."""

    def __init__(self, root, data_path, run_id, source=(), omit=(), context="", source_pkgs=(), include=(),
                 **flags):
        self.root = root
        self.data_path = data_path
        self.run_id = run_id
        self.source = list(source)
        self.omit = list(omit)
        self.source_pkgs = list(source_pkgs)
        self.include = list(include)
        # The parent's context when it started the child (`--context NAME`, or
        # the test that runs, with --ccov-context=test): the child's lines belong to it.
        self.context = context
        self.everywhere = bool(flags.get("everywhere"))
        self.leave_coverage_id = bool(flags.get("leave_coverage_id"))
        self.relative_files = bool(flags.get("relative_files"))
        self.branch = bool(flags.get("branch"))

    # The settings of a Config a child takes from its parent as they are; the
    # data file and the context are the parent's measurement's.
    CARRIED = ("source", "omit", "source_pkgs", "include", "relative_files", "branch")

    @classmethod
    def for_children(cls, config, root: str, data_path: str, run_id: str, context: str, **flags) -> Settings:
        """What a measured process hands on (`flags`: everywhere, leave_coverage_id)."""
        return cls(root, data_path, run_id, context=context, **{name: getattr(config, name) for name in cls.CARRIED},
                   **flags)

    def configure(self, config) -> None:
        """Give a child's Config its parent's settings."""
        for name in self.CARRIED:
            setattr(config, name, getattr(self, name))
        config.data_file = self.data_path
        config.context = self.context

    def encode(self) -> str | None:
        """The environment value; None if a value cannot be carried (it holds a separator)."""
        flags = "".join(letter for name, letter in _FLAGS.items() if getattr(self, name))
        lists = (self.source, self.omit, self.source_pkgs, self.include)
        values = [self.root, self.data_path, self.run_id, self.context, *(v for items in lists for v in items)]
        if any(_FIELD in v or _ITEM in v or "\0" in v for v in values):
            return None
        fields = [_VERSION, self.root, self.data_path, self.run_id, flags, self.context,
                  *(_ITEM.join(items) for items in lists)]
        return _FIELD.join(fields)

    @classmethod
    def decode(cls, value: str) -> Settings:
        fields = value.split(_FIELD)
        if len(fields) != 10 or fields[0] != _VERSION:
            raise ValueError(f"{ENV_VAR} is not a ccov process setting of this version")
        _, root, data_path, run_id, flags, context, *lists = fields
        source, omit, source_pkgs, include = (items.split(_ITEM) if items else [] for items in lists)
        if not (os.path.isabs(root) and os.path.isabs(data_path) and run_id.isalnum()):
            raise ValueError(f"{ENV_VAR} holds a malformed setting")
        return cls(
            root,
            data_path,
            run_id,
            source,
            omit,
            context,
            source_pkgs,
            include,
            **{name: letter in flags for name, letter in _FLAGS.items()},
        )


def inherited() -> Settings | None:
    """The settings this process was started with by a measured parent, if valid."""
    value = os.environ.get(ENV_VAR)
    if not value:
        return None
    try:
        return Settings.decode(value)
    except ValueError:
        return None
