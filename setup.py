"""Build the C collector; everything else is declared in pyproject.toml."""
from glob import glob

from setuptools import Extension, setup

setup(
    ext_modules=[
        Extension(
            "ccov._collector",
            sources=sorted(glob("csrc/*.c")),
            depends=glob("csrc/*.h"),
            extra_compile_args=["-Wall", "-Wextra", "-std=c11"],
        )
    ]
)
