"""Build the C collector and ship ccov-subprocess.pth; everything else is
declared in pyproject.toml (and buildtools/ccov_backend.py checks, before
this runs, that a compiler and the Python headers are there)."""
import os
from glob import glob

from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext
from setuptools.command.build_py import build_py

PTH_FILE = "ccov-subprocess.pth"


class build_ext_warning_flags(build_ext):
    """gcc's and clang's warnings, in C11; MSVC takes other flags."""

    def build_extensions(self):
        if self.compiler.compiler_type == "unix":
            for extension in self.extensions:
                extension.extra_compile_args = ["-Wall", "-Wextra", "-std=c11", *extension.extra_compile_args]
        super().build_extensions()


class build_py_with_pth(build_py):
    """Put the .pth file at the top of the wheel, so it lands in site-packages
    itself: Python runs it at start-up, and it starts measuring a child process
    only when a measured parent set CCOV_PROCESS (see ccov/measuring/childproc.py)."""

    def run(self):
        super().run()
        self.copy_file(os.path.join("pkg", PTH_FILE), os.path.join(self.build_lib, PTH_FILE), preserve_mode=0)

    def get_outputs(self, include_bytecode=True):
        return [*super().get_outputs(include_bytecode), os.path.join(self.build_lib, PTH_FILE)]


setup(
    cmdclass={"build_py": build_py_with_pth, "build_ext": build_ext_warning_flags},
    ext_modules=[Extension("ccov._collector", sources=sorted(glob("csrc/*.c")), depends=glob("csrc/*.h"))],
)
