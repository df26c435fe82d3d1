"""coverage.py's configuration, found and read as coverage.py does, in ccov's terms.

A project that measured with coverage.py or pytest-cov keeps its settings
when it switches: the file is looked for where coverage.py looks (the one
given, else $COVERAGE_RCFILE, .coveragerc, .coveragerc.toml, then the first of
setup.cfg, tox.ini and pyproject.toml that holds coverage settings), values
are read with coverage.py's syntax (lists split on commas and lines,
regexes one per line, $VAR expanded), and each setting ccov has is taken
under its coverage.py name and meaning.  A setting ccov does not have is
named in a warning that says what ccov does instead, and an option neither
tool knows is warned about as coverage.py does: nothing is dropped silently.

Values are data: they are type-checked, never evaluated.
"""

from __future__ import annotations

import os

from ccov.errors import UsageError

TYPE_CHECKING = False  # typing itself is not imported: it costs start-up time
if TYPE_CHECKING:
    import re

# (section, option) -> (ccov setting, how coverage.py reads the value).
HONOURED = {
    ("run", "branch"): ("branch", "bool"),
    ("run", "context"): ("context", "str"),
    ("run", "data_file"): ("coverage_data_file", "file"),
    ("run", "disable_warnings"): ("disable_warnings", "list"),
    ("run", "include"): ("include", "list"),
    ("run", "omit"): ("omit", "list"),
    ("run", "parallel"): ("parallel", "bool"),
    ("run", "relative_files"): ("relative_files", "bool"),
    ("run", "source"): ("source", "list"),
    ("run", "source_dirs"): ("source", "list"),  # directories: ccov's source takes them as they are
    ("run", "source_pkgs"): ("source_pkgs", "list"),
    ("report", "exclude_lines"): ("exclude_lines", "regexlist"),
    ("report", "exclude_also"): ("exclude_also", "regexlist"),
    ("report", "fail_under"): ("fail_under", "float"),
    ("report", "format"): ("format", "str"),
    ("report", "include"): ("report_include", "list"),
    ("report", "omit"): ("report_omit", "list"),
    ("report", "partial_branches"): ("partial_branches", "regexlist"),
    ("report", "partial_also"): ("partial_also", "regexlist"),
    ("report", "precision"): ("precision", "int"),
    ("report", "show_missing"): ("show_missing", "bool"),
    ("report", "skip_covered"): ("skip_covered", "bool"),
    ("report", "skip_empty"): ("skip_empty", "bool"),
    ("report", "sort"): ("sort", "str"),
    ("html", "directory"): ("html_dir", "file"),
    ("html", "title"): ("html_title", "str"),
    ("html", "skip_covered"): ("html_skip_covered", "bool"),
    ("html", "skip_empty"): ("html_skip_empty", "bool"),
    ("xml", "output"): ("xml_output", "file"),
    ("json", "output"): ("json_output", "file"),
    ("json", "show_contexts"): ("json_show_contexts", "bool"),
    ("lcov", "output"): ("lcov_output", "file"),
}

# coverage.py settings ccov has no use for -> (what ccov does instead, when
# to say so).  Most change nothing ccov reports ("never": they are accepted in
# silence, and `ccov debug` lists them); the others are said when they are
# set ("set": any value but coverage.py's default changes what coverage.py
# would report).
NOT_HONOURED = {
    ("run", "command_line"): ("give the program to `ccov run`", "never"),
    ("run", "concurrency"): ("sys.monitoring sees every thread, and ccov measures child processes by itself", "never"),
    ("run", "core"): ("ccov always measures with its own sys.monitoring collector", "never"),
    ("run", "cover_pylib"): ("the standard library is measured only when source names it", "set"),
    ("run", "debug"): ("see `ccov debug`, and CCOV_STATS=1 for the collector's statistics", "never"),
    ("run", "debug_file"): ("see `ccov debug`, and CCOV_STATS=1 for the collector's statistics", "never"),
    ("run", "dynamic_context"): ("pytest --ccov-context=test records per-test contexts", "set"),
    ("run", "patch"): ("ccov measures subprocesses, fork, exec and os._exit without patching", "never"),
    ("run", "sigterm"): ("ccov saves its data on SIGTERM by itself", "never"),
    ("run", "timid"): ("it means nothing to a sys.monitoring collector", "never"),
    ("report", "contexts"): ("reports cover every context", "set"),
    ("report", "ignore_errors"): ("ccov warns about a source file it cannot read and reports the rest", "never"),
    ("report", "include_namespace_packages"): (
        "never-run files are looked for only in packages with __init__.py", "set"),
    ("report", "partial_branches_always"): (
        "constant tests (while True:, if 0:) are not branches, as by default", "set"),
    ("html", "extra_css"): ("the HTML report keeps its own style", "set"),
    ("html", "show_contexts"): ("the HTML report shows contexts whenever the data has them", "never"),
    ("xml", "package_depth"): ("the Cobertura report has one package per directory", "set"),
    ("json", "pretty_print"): ("ccov's JSON report is always indented", "never"),
    ("lcov", "line_checksums"): ("ccov's lcov tracefile has no line checksums", "set"),
}
_UNSET = {"", "0", "false", "no", "off", "none"}  # what a setting left at its default reads as

SECTIONS = ("run", "report", "html", "xml", "json", "lcov")
_BOOLEANS = {"1": True, "yes": True, "true": True, "on": True, "0": False, "no": False, "false": False, "off": False}


class Found:
    """What was read from the file coverage.py would use: {ccov setting: value},
    where each came from, and the warnings to give."""

    def __init__(self, path: str | None = None):
        self.path = path
        self.values: dict[str, object] = {}
        self.origins: dict[str, str] = {}
        self.warnings: list[str] = []
        self.any_setting = False  # one coverage.py knows, used by ccov or not
        self.accepted: dict[str, object] = {}  # coverage.py settings ccov has no use for, and their values
        # [run] plugins, and each one's options (its own section), for
        # ccov.coverage_plugins to run as coverage.py would.
        self.plugins: list[str] = []
        self.plugin_options: dict[str, dict] = {}


def candidates(given: str | None) -> list[tuple[str, bool, bool]]:
    """(file, is coverage.py's own file, must exist), in coverage.py's order."""
    if given == ".coveragerc":  # pytest-cov's default for --cov-config: the usual search
        given = None
    if given is None and os.environ.get("COVERAGE_RCFILE"):
        given = os.environ["COVERAGE_RCFILE"]
    first = [(given, True, True)] if given else [(".coveragerc", True, False)]
    return first + [(".coveragerc.toml", True, False), ("setup.cfg", False, False), ("tox.ini", False, False),
                    ("pyproject.toml", False, False)]


def find(given: str | None = None, toml_reader=None) -> Found:
    """coverage.py's configuration: from `given` (a file name, TOML or INI) or
    from the first file coverage.py would use.  A file that is not coverage.py's
    own counts only if it holds a coverage setting, as with coverage.py."""
    for path, own, required in candidates(given):
        if not os.path.isfile(path):
            if required:
                raise UsageError(f"configuration file {path} not found")
            continue
        toml = path.endswith(".toml")
        if not own and not mentions(path, b"coverage" if toml else b"coverage:"):
            continue  # another tool's setup.cfg, tox.ini or pyproject.toml: not worth parsing
        if toml:
            document = (toml_reader or read_toml)(path)
            sections = _toml_sections(document, path, own)
        else:
            sections = _ini_sections(path, own)
        found = _convert(sections, path, toml)
        if own or found.any_setting:
            return found
    return Found()


def mentions(path: str, word: bytes) -> bool:
    """Whether a file that is not coverage.py's own can hold a setting at all:
    every spelling of [coverage:run], [tool.coverage.run] or [tool.ccov]
    holds the word (bar a TOML key written with escapes).  A file that does
    not is not parsed: configparser, and tomllib with the re and enum it
    loads, would double `ccov run`'s start-up for nothing."""
    try:
        with open(path, "rb") as config_file:
            return word in config_file.read()
    except OSError:
        return True  # let the reading say what is wrong


def read_toml(path: str) -> dict:
    from ccov import toml_file

    try:
        return toml_file.load(path)
    except OSError as err:
        raise UsageError(f"cannot read {path}: {err.strerror}") from None
    except UnicodeDecodeError:
        raise UsageError(f"{path} is not valid TOML: it is not UTF-8 text") from None
    except ValueError as err:  # tomllib.TOMLDecodeError: tomllib is imported only to parse
        raise UsageError(f"{path} is not valid TOML: {err}") from None


# ---- the two file syntaxes, read into {section: (its name in the file, {option: raw value})} ----


def _toml_sections(document: dict, path: str, own: bool) -> dict:
    """Every section: coverage.py's own, and those a plugin may read."""
    tool = document.get("tool")
    coverage = tool.get("coverage") if isinstance(tool, dict) else None
    if coverage is not None and not isinstance(coverage, dict):
        raise UsageError(f"{path}: [tool.coverage] must be a table")
    found = {}
    for prefix, table in (("tool.coverage.", coverage or {}), ("", document if own else {})):
        for section, value in table.items():
            if section in found or (prefix == "" and section == "tool"):
                continue
            if section in (*SECTIONS, "paths") and not isinstance(value, dict):
                raise UsageError(f"{path}: [{prefix}{section}] must be a table")
            if isinstance(value, dict):
                found[section] = (prefix + section, value)
    return found


def _ini_sections(path: str, own: bool) -> dict:
    import configparser

    parser = configparser.RawConfigParser()
    try:
        with open(path, encoding="utf-8-sig") as ini_file:  # as coverage.py: a BOM may start it
            parser.read_file(ini_file)
    except OSError as err:
        raise UsageError(f"cannot read {path}: {err.strerror}") from None
    except UnicodeDecodeError:
        raise UsageError(f"{path} is not a valid configuration file: it is not UTF-8 text") from None
    except configparser.Error as err:
        first_line = str(err).strip().splitlines()[0]
        raise UsageError(f"{path} is not a valid configuration file: {first_line}") from None
    found = {}
    # Every section, coverage.py's own and those a plugin may read; in
    # coverage.py's own file the plain name comes first, as there.
    for name in sorted(parser.sections(), key=lambda n: n.startswith("coverage:")):
        section = name.removeprefix("coverage:")
        if section not in found and (own or name.startswith("coverage:")):
            found[section] = (name, {option: parser.get(name, option) for option in parser.options(name)})
    return found


# ---- values ------------------------------------------------------------------------------


def _convert(sections: dict, path: str, toml: bool = False) -> Found:
    found = Found(path)
    run_options = sections.get("run", ("", {}))[1]
    if "plugins" in run_options:
        found.plugins = _value(run_options["plugins"], "list", path, sections["run"][0], "plugins", toml)
        found.any_setting = True
    for section, (real_name, options) in sections.items():
        if section in found.plugins:
            found.plugin_options[section] = {str(option): value for option, value in options.items()}
            continue
        if section not in (*SECTIONS, "paths"):
            continue  # another tool's section, or a plugin not asked for: coverage.py ignores it too
        if section == "paths":
            rules = {str(name): _value(value, "list", path, real_name, name, toml) for name, value in options.items()}
            if rules:
                found.any_setting = True
                found.values["paths"] = rules
                found.origins["paths"] = f"{path} [{real_name}]"
            continue
        for option, raw in options.items():
            key = (section, option)
            if key == ("run", "plugins"):
                continue
            found.any_setting = found.any_setting or key in HONOURED or key in NOT_HONOURED
            if key in HONOURED:
                setting, kind = HONOURED[key]
                value = _value(raw, kind, path, real_name, option, toml)
                if setting == "source" and "source" in found.values:  # source and source_dirs: both
                    value = found.values["source"] + value
                found.values[setting] = value
                found.origins[setting] = f"{path} [{real_name}] {option}"
            elif key in NOT_HONOURED:
                instead, when = NOT_HONOURED[key]
                found.accepted[f"{real_name} {option}"] = raw
                if when == "set" and _is_set(raw):
                    found.warnings.append(f"{path}: [{real_name}] {option} is not used by ccov: {instead}")
            else:
                found.warnings.append(f"{path}: unknown setting [{real_name}] {option} ignored")
    return found


def _is_set(raw) -> bool:
    """Whether a raw value says more than coverage.py's default would."""
    if isinstance(raw, str):
        return raw.strip().lower() not in _UNSET
    if isinstance(raw, (int, float)) and not isinstance(raw, bool):
        return True
    return bool(raw)


def _value(raw, kind: str, path: str, section: str, option: str, toml: bool = False):
    """One value, as coverage.py reads it from either syntax.  TOML is read
    as coverage.py reads it, more strictly than INI text: a boolean is true,
    false or the string "true" or "false" (not "yes"), and a list is an array
    (not one string)."""
    where = f"{path}: [{section}] {option}"
    if isinstance(raw, str):
        raw = expand_variables(raw, where)
    if toml and kind == "bool" and not isinstance(raw, bool) and raw not in ("true", "false"):
        raise UsageError(f"{where} must be true or false, not {raw!r}")
    if toml and kind in ("list", "regexlist") and not isinstance(raw, list):
        raise UsageError(f"{where} must be a list of strings, not {raw!r}")
    if kind in ("list", "regexlist"):
        if isinstance(raw, list):
            if not all(isinstance(item, str) for item in raw):
                raise UsageError(f"{where} must be a list of strings, not {raw!r}")
            items = [expand_variables(item, where) for item in raw]
        elif isinstance(raw, str):
            # INI: one per line, and for plain lists (not regexes) also split on commas.
            lines = raw.splitlines()
            items = [part for line in lines for part in (line.split(",") if kind == "list" else [line])]
        else:
            raise UsageError(f"{where} must be a list of strings, not {raw!r}")
        return [item.strip() for item in items if item.strip()]
    if kind == "bool":
        if isinstance(raw, bool):
            return raw
        if isinstance(raw, str) and raw.strip().lower() in _BOOLEANS:
            return _BOOLEANS[raw.strip().lower()]
        raise UsageError(f"{where} must be true or false, not {raw!r}")
    if kind in ("int", "float"):
        number = int if kind == "int" else float
        if isinstance(raw, bool) or not isinstance(raw, (int, float, str)):
            raise UsageError(f"{where} must be a number, not {raw!r}")
        try:
            return number(raw.strip() if isinstance(raw, str) else raw)
        except ValueError:
            raise UsageError(f"{where} must be {'an integer' if kind == 'int' else 'a number'}, not {raw!r}") from None
    if not isinstance(raw, str):
        raise UsageError(f"{where} must be a string, not {raw!r}")
    return os.path.expanduser(raw.strip()) if kind == "file" else raw.strip()


# Compiled only when a value holds a "$": `re` (and enum) cost `ccov run`
# start-up when no configuration needs them.
_VARIABLE = r"\$(?:(?P<dollar>\$)|(?P<plain>\w+)|\{(?P<braced>\w+)(?:(?P<strict>\?)|-(?P<default>[^}]*))?\})"


def expand_variables(text: str, where: str) -> str:
    """coverage.py's $VAR, ${VAR}, ${VAR-default}, ${VAR?} (an error if unset) and $$."""

    def replace(match: re.Match) -> str:
        if match.group("dollar"):
            return "$"
        name = match.group("plain") or match.group("braced")
        if name in os.environ:
            return os.environ[name]
        if match.group("strict"):
            raise UsageError(f"{where}: environment variable {name} is not set")
        return match.group("default") or ""

    if "$" not in text:
        return text
    import re

    return re.sub(_VARIABLE, replace, text)
