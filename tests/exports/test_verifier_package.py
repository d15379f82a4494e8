"""The verifier is its own package (verifier/): no Django, one command."""

import ast
import os
import subprocess
import sys
import tomllib
from importlib import import_module
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "verifier"


def _project() -> dict:
    return tomllib.loads((PACKAGE / "pyproject.toml").read_text())["project"]


def test_the_console_script_runs_the_command_line(capsys):
    """`auditsite-verify` names the CLI's main, which answers --help."""
    module, function = _project()["scripts"]["auditsite-verify"].split(":")
    main = getattr(import_module(module), function)
    with pytest.raises(SystemExit) as exit_:
        main(["--help"])
    assert exit_.value.code == 0
    assert capsys.readouterr().out.startswith("usage: auditsite-verify")


def test_the_package_needs_only_stdlib_boto3_and_cryptography():
    """Its declared dependencies are boto3 and cryptography, and every import
    of its modules is the standard library, those two, or itself."""
    assert sorted(d.split(">")[0] for d in _project()["dependencies"]) == [
        "boto3",
        "cryptography",
    ]
    allowed = {"boto3", "botocore", "cryptography", "auditsite_verify"}
    for path in (PACKAGE / "auditsite_verify").glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                names = [node.module or ""]
            else:
                continue
            for name in names:
                top = name.split(".")[0]
                assert top in sys.stdlib_module_names or top in allowed, (path, name)


def test_importing_the_verifier_loads_no_django():
    """The package imports without Django or the app (a customer has neither)."""
    code = (
        "import sys, auditsite_verify, auditsite_verify.digest;"
        "bad = [m for m in sys.modules if m.split('.')[0] in "
        "('django', 'audit', 'exports', 'auditsite')];"
        "print(bad)"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=PACKAGE,
        env={**os.environ, "PYTHONPATH": str(PACKAGE)},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


def test_the_app_takes_the_layout_from_the_verifier():
    """Positions, the zero position and digest bytes are the verifier's own."""
    from auditsite_verify import digest, layout

    from exports import models
    from exports.services import digests

    assert models.POSITION_ZERO is layout.ZERO_POSITION
    assert models.position_encode is layout.position_encode
    assert models.position_decode is layout.position_decode
    assert digests.digest_build is digest.digest_build
