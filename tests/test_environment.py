"""Package versions: ``mtdialog env``, its check against a lock, and the pins a run records."""

from __future__ import annotations

import torch

from mtdialog.cli import main
from mtdialog.environment import installed_packages, lock_mismatches, read_pins, write_packages

TORCH = torch.__version__.split("+")[0]  # the distribution version, without the local build tag


def test_pins_are_read_from_a_pip_compile_lock(tmp_path):
    lock = tmp_path / "constraints.txt"
    lock.write_text("# header\n#    make lock\n#\nPyYAML==6.0.4\n    # via mtdialog (pyproject.toml)\n"
                    "torch==2.14.1 ; platform_machine == 'x86_64'\nscikit_learn==1.9.1  # comment\n-e .\n")
    assert read_pins(lock) == {"pyyaml": "6.0.4", "torch": "2.14.1", "scikit-learn": "1.9.1"}


def test_an_environment_matches_its_own_record_and_differences_are_named(tmp_path, capsys):
    path = write_packages(tmp_path)
    assert path.read_text().startswith("# Packages this run used: mtdialog ")
    assert read_pins(path)["torch"] == TORCH and "mtdialog" not in read_pins(path)
    assert main(["env", "--check", str(path)]) == 0
    assert "every installed package is pinned" in capsys.readouterr().out

    lines = path.read_text().splitlines()
    edited = [("torch==0.0.1" if line.startswith("torch==") else line) for line in lines
              if not line.startswith("numpy==")]
    path.write_text("\n".join(edited) + "\n")
    assert lock_mismatches(path) == [f"torch {TORCH} is installed, {path} pins 0.0.1",
                                     f"numpy {installed_packages()['numpy']} is installed but {path} has no pin for it"]
    assert main(["env", "--check", str(path)]) == 1
    assert "2 difference(s)" in capsys.readouterr().err


def test_env_shows_the_key_libraries_and_a_missing_lock_is_an_error(tmp_path, capsys):
    assert main(["env"]) == 0
    out = capsys.readouterr().out
    assert f"torch          {TORCH}" in out and "transformers " in out and "python 3." in out
    assert main(["env", "--check", str(tmp_path / "nope.txt")]) == 2
    assert "nope.txt: lock file not found" in capsys.readouterr().err
