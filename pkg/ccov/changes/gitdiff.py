"""git, and the unified diffs it prints: one reader for `ccov diff` and
`pytest --ccov-affected`.

Diffs are read from `git diff --unified=0`, as bytes: a file's contents or
name need not be UTF-8.  A name in a `---`/`+++` header is C-quoted by git
when it holds a quote, a backslash or a control character (with
core.quotepath=false, other bytes pass as they are), and ends with a tab
when it holds a space (for GNU patch).
"""

from __future__ import annotations

import os
import re
import subprocess

from ccov.errors import CcovError

_HUNK = re.compile(r"^@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@")
_ESCAPES = {"a": 7, "b": 8, "t": 9, "n": 10, "v": 11, "f": 12, "r": 13, '"': 34, "\\": 92}


def git(*args: str, cwd: str) -> str:
    """git's output (as str, odd bytes kept as surrogate escapes); a failure is a CcovError."""
    try:
        done = subprocess.run(["git", "-c", "core.quotepath=false", *args], cwd=cwd, capture_output=True)
    except FileNotFoundError:
        raise CcovError("git is not installed") from None
    if done.returncode != 0:
        errors = done.stderr.decode("utf-8", "replace").strip()
        raise CcovError(f"git {args[0]} failed: {errors.splitlines()[-1] if errors else done.returncode}")
    return done.stdout.decode("utf-8", "surrogateescape")


def try_git(*args: str, cwd: str) -> str | None:
    try:
        return git(*args, cwd=cwd).strip()
    except CcovError:
        return None


def toplevel(cwd: str) -> str:
    return git("rev-parse", "--show-toplevel", cwd=cwd).strip()


def default_base(cwd: str) -> str:
    """The branch a pull request is merged into: the remote's default branch
    (origin/HEAD, which `git clone` sets), else origin/main, origin/master,
    main, master.  Never the current branch's upstream: for a pushed feature
    branch that is its own copy on the remote, where nothing changed."""
    remote_default = try_git("rev-parse", "--abbrev-ref", "origin/HEAD", cwd=cwd)
    if remote_default and remote_default != "origin/HEAD":
        return remote_default
    for candidate in ("origin/main", "origin/master", "main", "master"):
        if try_git("rev-parse", "--verify", "--quiet", f"{candidate}^{{commit}}", cwd=cwd):
            return candidate
    raise CcovError("no base to compare with: no origin/HEAD, origin/main, origin/master, main or master; "
                    "pass --base REF")


def _fetch_command(ref: str) -> str:
    """How to fetch `ref` from origin: `origin/x` and `x` are both branch x there."""
    return f"git fetch origin {ref.removeprefix('origin/')}"


def merge_base(ref: str, cwd: str) -> str:
    if not try_git("rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}", cwd=cwd):
        shallow = try_git("rev-parse", "--is-shallow-repository", cwd=cwd) == "true"
        fetch = _fetch_command(ref)
        hint = f"this is a shallow clone: fetch the base (`git fetch --unshallow`, or `{fetch}`)" if shallow \
            else f"fetch it first (`{fetch}`)"
        raise CcovError(f"the base {ref!r} is not in this repository; {hint}")
    base = try_git("merge-base", ref, "HEAD", cwd=cwd)
    if not base:
        raise CcovError(f"no merge base between {ref!r} and HEAD (in a shallow clone, `git fetch --unshallow` first)")
    return base


class FileChange:
    """One file of a diff: its name on each side (None where it does not
    exist) and the lines the hunks cover there."""

    def __init__(self, old_path: str | None, new_path: str | None):
        self.old_path = old_path
        self.new_path = new_path
        self.old_lines: set[int] = set()
        self.new_lines: set[int] = set()


def header_path(text: str, prefix: str) -> str | None:
    """The file name of a `--- ` or `+++ ` header (without it), or None for /dev/null."""
    if text.startswith('"'):
        text = _unquote(text)
    elif "\t" in text:
        text = text[:text.index("\t")]  # git ends a name holding a space with a tab
    if text == "/dev/null":
        return None
    return text[len(prefix):] if text.startswith(prefix) else text


def _unquote(text: str) -> str:
    """A C-quoted name ("...", with \\t, \\", \\\\ and octal bytes), as str."""
    closing = text.rfind('"')
    body = text[1:closing] if closing > 0 else text[1:]
    raw = bytearray()
    position = 0
    while position < len(body):
        char = body[position]
        if char != "\\" or position + 1 == len(body):
            raw += char.encode("utf-8", "surrogateescape")
            position += 1
            continue
        following = body[position + 1]
        if following in "01234567":
            digits = re.findall(r"^[0-7]{1,3}", body[position + 1:])[0]
            raw.append(int(digits, 8) & 0xFF)
            position += 1 + len(digits)
        else:
            raw.append(_ESCAPES.get(following, ord(following) if ord(following) < 128 else 63))
            position += 2
    return os.fsdecode(bytes(raw))


def parse(text: str) -> list[FileChange]:
    """The files of a unified diff, with the lines each hunk covers."""
    changes: list[FileChange] = []
    old_path: str | None = None
    current: FileChange | None = None
    for line in text.splitlines():
        if line.startswith("--- "):
            old_path = header_path(line[4:], "a/")
            current = None
        elif line.startswith("+++ "):
            current = FileChange(old_path, header_path(line[4:], "b/"))
            changes.append(current)
        elif current is not None and line.startswith("@@"):
            match = _HUNK.match(line)
            if match:
                old_start, old_count = int(match.group(1)), int(match.group(2) or 1)
                new_start, new_count = int(match.group(3)), int(match.group(4) or 1)
                current.old_lines.update(range(old_start, old_start + old_count))
                current.new_lines.update(range(new_start, new_start + new_count))
    return changes
