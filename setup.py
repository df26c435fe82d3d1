"""Build the C collector and ship ccov-subprocess.pth; everything else is
declared in pyproject.toml."""
import os
from glob import glob

from setuptools import Extension, setup
from setuptools.command.build_py import build_py

PTH_FILE = "ccov-subprocess.pth"


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
    cmdclass={"build_py": build_py_with_pth},
    ext_modules=[
        Extension(
            "ccov._collector",
            sources=sorted(glob("csrc/*.c")),
            depends=glob("csrc/*.h"),
            extra_compile_args=["-Wall", "-Wextra", "-std=c11"],
        )
    ],
)
