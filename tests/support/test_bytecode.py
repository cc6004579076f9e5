"""The pre-compile step covers the provider subpackages the program imports, and skips the rest of those SDKs."""

from __future__ import annotations

from pathlib import Path

from tests.support.bytecode import files_to_compile, imported_subpackages


def _tree(root: Path, files: list[str]) -> None:
    for name in files:
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text("")


def test_subpackages_named_in_from_imports_are_found(tmp_path):
    source = tmp_path / "component.py"
    source.write_text(
        "from pulumi_aws import ec2, iam as aws_iam\nfrom pulumi_aws.lambda_ import Function\nimport pulumi_aws\n"
    )
    assert imported_subpackages("pulumi_aws", [source]) == {"ec2", "iam", "lambda_"}
    assert imported_subpackages("pulumi_gcp", [source]) == set()


def test_only_the_imported_parts_of_the_big_sdks_are_compiled(tmp_path):
    root, site = tmp_path / "checkout", tmp_path / "site-packages"
    _tree(root, ["infra/components/network.py", "tests/test_network.py"])
    (root / "infra/components/network.py").write_text("from pulumi_aws import ec2\n")
    _tree(
        site,
        [
            "pulumi_aws/__init__.py",
            "pulumi_aws/_utilities.py",
            "pulumi_aws/ec2/__init__.py",
            "pulumi_aws/ec2/vpc.py",
            "pulumi_aws/sagemaker/__init__.py",
            "pulumi/output.py",
        ],
    )
    compiled = {p.relative_to(tmp_path).as_posix() for p in files_to_compile(site, root)}
    assert compiled == {
        "checkout/infra/components/network.py",
        "checkout/tests/test_network.py",
        "site-packages/pulumi_aws/__init__.py",
        "site-packages/pulumi_aws/_utilities.py",
        "site-packages/pulumi_aws/ec2/__init__.py",
        "site-packages/pulumi_aws/ec2/vpc.py",
        "site-packages/pulumi/output.py",
    }
