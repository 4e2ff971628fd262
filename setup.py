"""Build hook: the wheel carries the VBA sources of `macros/` (the only source of the buttons'
code, kept at the top of the repository) as package data in `toolkit/vba/macros/`, where
`toolkit.vba.xlsm` finds them in an installed copy. Everything else is declared in setup.cfg."""
import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

HERE = Path(__file__).resolve().parent


class BuildPyWithMacros(build_py):
    def run(self):
        super().run()
        sources = sorted((HERE / "macros").glob("*.bas"))
        if not sources:
            raise SystemExit("macros/*.bas not found: the wheel would have no buttons (build from a checkout or the sdist)")
        target = Path(self.build_lib) / "toolkit" / "vba" / "macros"
        target.mkdir(parents=True, exist_ok=True)
        for src in sources:
            shutil.copyfile(src, target / src.name)


setup(cmdclass={"build_py": BuildPyWithMacros})
