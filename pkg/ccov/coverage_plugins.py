"""coverage.py plugins, run as coverage.py runs them.

`[run] plugins` names modules; coverage.py imports each and calls its
`coverage_init(reg, options)`, with the options of the configuration's
section named after the module.  What a module registers decides what ccov
can do with it:

- a configurer (`reg.add_configurer`, as covdefaults does) changes settings
  through `get_option`/`set_option`; ccov runs it against its own settings,
  in coverage.py's names and value types, so the plugin's settings apply
  (branches, exclusions, `fail_under`...);
- a file tracer (templates, Cython) or a dynamic-context plugin needs
  coverage.py's tracer: the warning says which files or contexts are not
  measured;
- `add_noop` registers nothing.

Configurers run once the configuration file is read, before `[tool.ccov]`
and the command line, which win over them.  Importing the plugin runs its
code, as coverage.py does; a plugin that cannot be imported is an error.
"""

from __future__ import annotations

from ccov.errors import UsageError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable

    from ccov.config import Config

# coverage.py's values of the settings ccov stores otherwise (`None` where
# ccov has an empty list or a default of its own), for a plugin that reads
# them: covdefaults sets `source` only when `get_option("run:source")` is None.
_NONE_WHEN_UNSET = {"run:source", "run:context", "report:include", "report:omit", "report:sort", "report:format"}

# The settings ccov has no use for, with coverage.py's defaults: a plugin may
# read and set them; ccov keeps what it sets, and does nothing with it.
_COVERAGE_DEFAULTS = {
    "run:command_line": None, "run:concurrency": [], "run:core": None, "run:cover_pylib": False, "run:debug": [],
    "run:debug_file": None, "run:dynamic_context": None, "run:patch": [], "run:sigterm": False,
    "run:timid": False, "report:contexts": None, "report:ignore_errors": False,
    "report:include_namespace_packages": False,
    "report:partial_branches_always": [r"^\s*while (True|1|False|0):", r"^\s*if (True|1|False|0):"],
    "html:extra_css": None, "html:show_contexts": False, "xml:package_depth": 99, "json:pretty_print": False,
    "lcov:line_checksums": False,
}


class _Registry:
    """The `reg` a plugin's coverage_init registers its plugins with."""

    def __init__(self):
        self.configurers: list = []
        self.unsupported: list[str] = []

    def add_configurer(self, plugin) -> None:
        self.configurers.append(plugin)

    def add_file_tracer(self, plugin) -> None:
        self.unsupported.append("traces files ccov cannot measure (templates, Cython, ...): those are not measured")

    def add_dynamic_context(self, plugin) -> None:
        self.unsupported.append("sets dynamic contexts: ccov records none from it "
                                "(pytest --ccov-context=test records per-test contexts)")

    def add_noop(self, plugin) -> None:
        pass


class Options:
    """coverage.py's get_option/set_option over ccov's settings, for one
    plugin's configure(); the values it sets are recorded as coming from it."""

    def __init__(self, config: Config, plugin: str, plugin_options: dict[str, dict], others: dict):
        self._config = config
        self._plugin = plugin
        self._plugin_options = plugin_options
        self._others = others  # what plugins set of the settings ccov has no use for

    def _honoured(self, name: str) -> tuple[str, str]:
        from ccov.covconfig import HONOURED

        section, _, option = name.partition(":")
        found = HONOURED.get((section, option))
        if found is None:
            raise KeyError(name)
        return found

    def get_option(self, name: str):
        if name == "paths":
            return {key: list(value) for key, value in self._config.paths.items()}
        try:
            setting, _ = self._honoured(name)
        except KeyError:
            return self._other(name)
        value = getattr(self._config, setting)
        if name in _NONE_WHEN_UNSET and setting not in self._config.origins and not value:
            return None
        return list(value) if isinstance(value, list) else value

    def _other(self, name: str):
        if name in self._others:
            return self._others[name]
        if name in _COVERAGE_DEFAULTS:
            return _COVERAGE_DEFAULTS[name]
        plugin, _, key = name.partition(":")
        if key and plugin in self._plugin_options:
            return self._plugin_options[plugin].get(key)
        raise UsageError(f"plugin {self._plugin} asked for {name!r}, which coverage.py does not have")

    def set_option(self, name: str, value) -> None:
        label = f"plugin {self._plugin}: {name}"
        if name == "paths":
            value = {str(key): list(entries) for key, entries in dict(value).items()}
            self._config.set_checked("paths", value, self._origin(name), label)
            return
        try:
            setting, kind = self._honoured(name)
        except KeyError:
            self._set_other(name, value)
            return
        if kind in ("list", "regexlist") and isinstance(value, (tuple, set, frozenset)):
            value = list(value)
        self._config.set_checked(setting, value, self._origin(name), label)
        if kind == "float" and type(value) is int:
            # Kept as given, as coverage.py keeps it: pytest-cov's message says "100%".
            self._config.set(setting, value, self._origin(name))

    def _set_other(self, name: str, value) -> None:
        plugin, _, key = name.partition(":")
        if name in _COVERAGE_DEFAULTS:
            self._others[name] = value
        elif key and plugin in self._plugin_options:
            self._plugin_options[plugin][key] = value
        else:
            raise UsageError(f"plugin {self._plugin} set {name!r}, which coverage.py does not have")

    def _origin(self, name: str) -> str:
        return f"plugin {self._plugin} ({name})"


def configure(plugins: list[str], plugin_options: dict[str, dict], config: Config,
              warn: Callable[[str], None] | None) -> None:
    """Import each plugin module, let it register, and run its configurers."""
    import importlib

    inits = []
    for name in plugins:
        try:
            module = importlib.import_module(name)
        except Exception as err:  # the plugin's own code runs here: any failure is the user's to see
            raise UsageError(f"plugin {name} cannot be imported: {type(err).__name__}: {err}") from None
        init = getattr(module, "coverage_init", None)
        if not callable(init):
            raise UsageError(f"plugin module {name} has no coverage_init function, as coverage.py plugins must")
        inits.append((name, init))
    _run(inits, plugin_options, config, warn)


def configure_with(inits: list, config: Config, warn: Callable[[str], None] | None) -> None:
    """The `plugins` of coverage.py's API: functions called as coverage_init is."""
    _run([(getattr(init, "__name__", repr(init)), init) for init in inits], {}, config, warn)


def _run(inits: list, plugin_options: dict[str, dict], config: Config, warn: Callable[[str], None] | None) -> None:
    others: dict = {}
    for name, init in inits:
        registry = _Registry()
        init(registry, dict(plugin_options.get(name, {})))
        for message in registry.unsupported:
            if warn:
                warn(f"coverage.py plugin {name} {message}")
        for plugin in registry.configurers:
            plugin.configure(Options(config, name, plugin_options, others))
