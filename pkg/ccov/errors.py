"""Errors ccov reports to the user, each with its documented exit code, and
the wording its messages share."""

EXIT_OK = 0
EXIT_DATA_ERROR = 1      # no data, bad data file, unreadable/unwritable files
EXIT_GATE_FAILED = 2     # total below --fail-under (as coverage.py)
EXIT_USAGE = 3           # unknown option, bad value, bad configuration


class CcovError(Exception):
    """A problem to report as one line on stderr, exiting with `exit_code`."""

    def __init__(self, message: str, exit_code: int = EXIT_DATA_ERROR):
        super().__init__(message)
        self.exit_code = exit_code


class UsageError(CcovError):
    def __init__(self, message: str):
        super().__init__(message, EXIT_USAGE)


# The exceptions coverage.py's API raises, under its names, for the tools
# that catch them (VS Code catches NoSource from analysis2).
CoverageException = CcovError


class NoDataError(CcovError):
    """Nothing was measured, or no data file can be read."""


class NoSource(CcovError):
    """A measured file's source cannot be found or read."""


# coverage.py's names of the warnings `disable_warnings` silences.
_silenced: set[str] = set()


def silence(slugs: list[str]) -> None:
    """The configuration's `disable_warnings`: these warnings are not said."""
    _silenced.clear()
    _silenced.update(slugs)


def worded(message: str, slug: str | None = None) -> str | None:
    """A warning's text: a warning coverage.py also gives ends with its name
    there, which `disable_warnings` takes; None when it is silenced."""
    if slug is None:
        return message
    return None if slug in _silenced else f"{message} ({slug})"


def warn(message: str, slug: str | None = None) -> None:
    """A one-line warning on stderr; the run goes on."""
    import sys

    text = worded(message, slug)
    if text is not None:
        print(f"ccov: warning: {text}", file=sys.stderr)


def plural(count: int, noun: str, nouns: str | None = None) -> str:
    """`1 file`, `2 files`: a count and its noun, as a message says it."""
    return f"{count} {noun if count == 1 else nouns or noun + 's'}"
