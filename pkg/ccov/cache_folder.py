"""`.ccov_cache/`: what ccov keeps between runs to be faster, never anything
a result needs: beside the data file, the analysis of each measured file;
beside a TOML configuration file, its parsed document."""

from __future__ import annotations

import os


def cache_folder(directory: str) -> str:
    """The cache folder under `directory`, made on first use with the marks
    that keep it out of backups (CACHEDIR.TAG) and out of git; OSError when
    it cannot be made."""
    folder = os.path.join(directory, ".ccov_cache")
    tag = os.path.join(folder, "CACHEDIR.TAG")
    if not os.path.exists(tag):
        os.makedirs(folder, exist_ok=True)
        with open(tag, "w") as tag_file:
            tag_file.write("Signature: 8a477f597d28d172789f06886806bc55\n# ccov's cache: safe to delete\n")
        with open(os.path.join(folder, ".gitignore"), "w") as ignore:
            ignore.write("*\n")
    return folder
