"""Every package a nox session installs has its tested version in constraints.txt."""

from __future__ import annotations

import ast
import re
import tomllib
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parent.parent
NOXFILE = ROOT / "noxfile.py"


def pins() -> dict[str, str]:
    found = {}
    for line in (ROOT / "constraints.txt").read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            name, _, version = line.partition("==")
            assert version, f"constraints.txt: {line!r} is not pinned with =="
            found[canonicalize_name(name)] = version
    return found


def install_calls() -> list[list[str]]:
    """The string arguments of each ``install(session, ...)`` call in the noxfile."""
    calls = []
    for node in ast.walk(ast.parse(NOXFILE.read_text())):
        if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "install":
            calls.append([a.value for a in node.args[1:] if isinstance(a, ast.Constant)])
    return calls


def test_every_session_installs_through_the_constrained_helper() -> None:
    source = NOXFILE.read_text()
    assert source.count("session.install(") == 1  # inside install(), with -c constraints.txt
    assert 'session.install("-c", str(CONSTRAINTS)' in source
    assert install_calls()


def test_every_package_a_session_names_is_pinned() -> None:
    pinned = pins()
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    missing = []
    for arguments in install_calls():
        for argument in arguments:
            if argument in ("-e", "."):
                continue
            extras = re.fullmatch(r"\.\[(.*)\]", argument)
            if extras:  # the project with extras: its dependencies and theirs
                names = project["dependencies"] + [
                    dependency
                    for extra in extras[1].split(",")
                    for dependency in project["optional-dependencies"][extra]
                ]
            else:
                names = [argument]
            for text in names:
                requirement = Requirement(text)
                name = canonicalize_name(requirement.name)
                if name not in pinned:
                    missing.append(text)
                elif not requirement.specifier.contains(pinned[name], prereleases=True):
                    missing.append(f"{text} (constraints.txt pins {pinned[name]})")
    assert not missing, f"not pinned in constraints.txt, or pinned outside the range: {missing}"
