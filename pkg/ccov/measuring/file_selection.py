"""Which files are measured: the decision the collector asks once per file name,
and the importable files under --source that never ran (reported at 0%)."""

from __future__ import annotations

import os
import sys

from ccov.files import canonical, zip_member
from ccov.globs import compile_patterns

# What a Python file name looks like (as coverage.py's source search has it).
_PYTHON_FILE = r"^[^.#~!$@%^&*()+=,]+\.pyw?$"
_THIRD_PARTY_DIRS = {"site-packages", "dist-packages"}


def _find_module(name: str) -> list[str]:
    """Directories (a package) or file (a module) of an importable name,
    found without importing anything, so no module-level line runs early."""
    from importlib.machinery import PathFinder

    search_path = None
    spec = None
    parts = name.split(".")
    for depth in range(1, len(parts) + 1):
        if not all(part.isidentifier() for part in parts[:depth]):
            return []
        try:
            spec = PathFinder.find_spec(".".join(parts[:depth]), search_path)
        except (ImportError, ValueError):
            return []
        if spec is None:
            return []
        search_path = spec.submodule_search_locations
        if search_path is None and depth < len(parts):
            return []
    if spec is None:
        return []
    if spec.submodule_search_locations:
        return [canonical(p) for p in spec.submodule_search_locations]
    return [canonical(spec.origin)] if spec.origin and os.path.isfile(spec.origin) else []


def _unmeasured_roots() -> list[str]:
    """The standard library, installed packages and ccov itself (without
    importing sysconfig: this runs before the program starts)."""
    import site

    package = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))  # ccov, this file's grandparent
    roots = {os.path.dirname(os.__file__), package}
    # ccov.reports in a checkout: an editable install maps it to reports/ beside pkg/.
    reports = os.path.join(os.path.dirname(os.path.dirname(package)), "reports")
    if os.path.isfile(os.path.join(reports, "html.py")):
        roots.add(reports)
    for prefix in {sys.prefix, sys.base_prefix, sys.exec_prefix, sys.base_exec_prefix}:
        roots.add(os.path.join(prefix, "lib", f"python{sys.version_info[0]}.{sys.version_info[1]}"))
        # Console-script launchers (`pytest`, `ccov`): installed, not the project's code.
        roots.add(os.path.join(prefix, "Scripts" if os.name == "nt" else "bin"))
    try:
        roots.update(site.getsitepackages())
        roots.add(site.getusersitepackages())
    except AttributeError:  # an old virtualenv's site module
        pass
    # Both spellings of each root: a file name is checked against them before
    # the (costlier) realpath, and after it.
    found = set()
    for root in roots:
        if root and os.path.isdir(root):
            found.add(os.path.normcase(os.path.abspath(root)) + os.sep)
            found.add(canonical(root) + os.sep)
    return sorted(found)


def _zip_source(path: str) -> bool:
    """A Python source file inside a zip archive (zipimport gives its code
    such a name): measured as any file is, and read from the archive."""
    return path.endswith(".py") and zip_member(path) is not None


class FileSelector:
    """Callable `selector(filename) -> bool`, given to the collector."""

    def __init__(self, root: str, source: list[str], omit: list[str], everywhere: bool = False,
                 source_pkgs: list[str] = (), include: list[str] = ()):  # type: ignore[assignment]
        self.root = canonical(root)
        self.everywhere = everywhere  # not only under root: anything not installed
        self.source_dirs: list[str] = []
        self.source_files: set[str] = set()
        self.unresolved_sources: list[str] = []
        self._resolved_with: tuple = ()  # sys.path when unresolved names were last looked for
        for entry in source:
            self._add_source(entry)
        for name in source_pkgs:  # importable names only, as coverage.py's source_pkgs
            if not self._add_module(name):
                self.unresolved_sources.append(name)
        self._resolved_with = tuple(sys.path)
        # coverage.py's patterns, matched against canonical paths (ccov.globs).
        self.omit = compile_patterns(omit, self.root)
        # coverage.py's [run] include: only files matching these, and only when
        # no source is given (source wins, as there).
        self.include = None if self.has_source else compile_patterns(include, self.root)
        # Computed now: a decision may be asked for while a module is being
        # imported, and must not import anything itself.
        self._unmeasured = tuple(_unmeasured_roots())
        self._real_dirs: dict[str, str] = {}  # directory -> canonical(directory)
        self._closed_folders: dict[str, str] = {}  # folder as named -> its plain name and a separator (_close)

    def _add_source(self, entry: str) -> None:
        path = os.path.join(self.root, entry)
        if os.path.isdir(path):
            self.source_dirs.append(canonical(path) + os.sep)
        elif os.path.isfile(path):
            self.source_files.add(canonical(path))
        elif not self._add_module(entry):
            self.unresolved_sources.append(entry)

    def _add_module(self, name: str) -> bool:
        found = _find_module(name)
        for location in found:
            if os.path.isdir(location):
                self.source_dirs.append(location + os.sep)
            else:
                self.source_files.add(location)
        return bool(found)

    def resolve_late(self) -> bool:
        """Look for the module names not found so far, if sys.path changed
        since: when measuring starts, the program's own directory is not on
        sys.path yet (a module beside the script; `python -m mod` in a child,
        whose working directory is added after the .pth file ran).  Cheap
        when nothing is unresolved or sys.path is as it was.  Returns whether
        a name was found."""
        if not self.unresolved_sources or tuple(sys.path) == self._resolved_with:
            return False
        self._resolved_with = tuple(sys.path)
        still = [name for name in self.unresolved_sources if not self._add_module(name)]
        found = len(still) < len(self.unresolved_sources)
        self.unresolved_sources = still
        return found

    @property
    def has_source(self) -> bool:
        return bool(self.source_dirs or self.source_files or self.unresolved_sources)

    def __call__(self, filename: str) -> bool:
        if not filename or filename.startswith("<"):
            return False
        folder, sep, name = filename.rpartition(os.sep)
        # A file named directly in a folder, which the folder's decision can speak for.
        in_folder = bool(sep and folder and name not in (".", "..") and not (os.altsep and os.altsep in name))
        plain_folder = self._closed_folders.get(folder) if in_folder else None
        if plain_folder is not None:
            # No file of this folder is measured unless it is a link.
            plain = plain_folder + os.path.normcase(name)
            if not os.path.islink(plain):
                return False
        else:
            plain = os.path.normcase(os.path.abspath(os.path.join(self.root, filename)))
        if not self.has_source and self.include is None and plain.startswith(self._unmeasured):
            return False  # installed code, decided without a realpath
        path = self._canonical_file(plain)
        wanted = self.wants(path) or (self.resolve_late() and self.wants(path))
        if not wanted and in_folder:
            self._close(folder, os.path.dirname(plain))
        return wanted and (os.path.isfile(path) or _zip_source(path))

    def _close(self, folder: str, plain_folder: str) -> None:
        """Remember a folder (as the collector names it) none of whose plain
        files --source measures, so that the next file named in it is decided
        with one lstat (is it a link?) instead of the whole decision: a run
        decides hundreds of files in a few dozen folders, nearly all of them
        outside the source."""
        if not self.has_source or self.unresolved_sources or (os.altsep and os.altsep in folder):
            return  # the source may still grow (resolve_late), or no source: decided as it is
        real = self._canonical_dir(plain_folder)
        inside = real if real.endswith(os.sep) else real + os.sep
        if inside.startswith(tuple(self.source_dirs)) or any(os.path.dirname(f) == real for f in self.source_files):
            return
        self._closed_folders[folder] = plain_folder if plain_folder.endswith(os.sep) else plain_folder + os.sep

    def _canonical_file(self, plain: str) -> str:
        """canonical(plain) for an absolute, normalized file name, with one
        lstat per name not seen before: realpath lstat()s every component of
        every name, and a run decides hundreds of files in a few dozen
        directories (toolz's suite, 3.12, callgrind: line mode's 192 M
        instructions over bare pytest fell to 141 M)."""
        if os.path.islink(plain):
            return canonical(plain)
        folder, name = os.path.split(plain)
        return os.path.join(self._canonical_dir(folder), name)

    def _canonical_dir(self, folder: str) -> str:
        # The real name of a directory that is not itself a link is its
        # parent's real name and its own; a loop, not recursion: a decision
        # may be asked for near the recursion limit.
        unresolved = []
        real = self._real_dirs.get(folder)
        while real is None:
            parent, name = os.path.split(folder)
            if not name or os.path.islink(folder):
                real = self._real_dirs[folder] = canonical(folder)
                break
            unresolved.append((folder, name))
            folder = parent
            real = self._real_dirs.get(folder)
        for folder, name in reversed(unresolved):
            real = self._real_dirs[folder] = os.path.join(real, name)
        return real

    def wants(self, path: str) -> bool:
        """Is this canonical path one the configuration measures?"""
        if self.omit is not None and self.omit.match(path):
            return False
        if self.has_source:
            return path in self.source_files or path.startswith(tuple(self.source_dirs))
        if self.include is not None:
            return bool(self.include.match(path))
        if not self.everywhere and not path.startswith(self.root + os.sep):
            return False
        if path.startswith(self._unmeasured):
            return False
        inside = path[len(self.root):] if path.startswith(self.root + os.sep) else path
        return not _THIRD_PARTY_DIRS.intersection(inside.split(os.sep))

    def unexecuted_candidates(self) -> list[str]:
        """Importable Python files under the --source directories (and files)."""
        self.resolve_late()
        found = set(self.source_files)
        if self.source_dirs:
            import re  # only here: a run without --source directories never needs it

            python_file = re.compile(_PYTHON_FILE)
        for top in self.source_dirs:
            top = top.rstrip(os.sep)
            for dirpath, dirnames, filenames in os.walk(top):
                # Only packages are importable below the top directory.
                if dirpath != top and "__init__.py" not in filenames:
                    dirnames[:] = []
                    continue
                dirnames.sort()
                found.update(canonical(os.path.join(dirpath, f)) for f in filenames if python_file.match(f))
        return sorted(p for p in found if self.wants(p))
