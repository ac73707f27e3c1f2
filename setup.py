"""Build hook: ship the top-level resources/ and playlists/ folders inside the wheel as kapdesk/_data/.

Everything else about the build is in pyproject.toml. The folders stay at the top of the checkout
(the design card's layout), and kapdesk.paths reads them there when running from a checkout.
"""

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

SHIPPED = ("resources", "playlists")


class BuildPyWithData(build_py):
    def run(self) -> None:
        super().run()
        if self.editable_mode:  # an editable install reads the checkout's own folders
            return
        root = Path(__file__).resolve().parent
        for name in SHIPPED:
            shutil.copytree(root / name, Path(self.build_lib) / "kapdesk" / "_data" / name, dirs_exist_ok=True)


setup(cmdclass={"build_py": BuildPyWithData})
