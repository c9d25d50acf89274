"""`pycommerce plugin new`: names, files, and refusals (the full install-and-run path is in test_end_to_end)."""

from __future__ import annotations

import tomllib

from click.testing import CliRunner

from kernel.cli import main


def test_scaffold_writes_an_installable_package(tmp_path):
    result = CliRunner().invoke(main, ["plugin", "new", "acme-hello", "--dir", str(tmp_path)])
    assert result.exit_code == 0, result.output
    root = tmp_path / "acme-hello"
    project = tomllib.loads((root / "pyproject.toml").read_text())
    assert project["project"]["name"] == "acme-hello"
    assert project["project"]["entry-points"]["pycommerce.plugins"] == {"acme_hello": "acme_hello.plugin"}
    assert (root / "acme_hello" / "plugin.py").is_file() and (root / "acme_hello" / "settings.py").is_file()
    assert "plugin_sdk.testing" in (root / "tests" / "conftest.py").read_text()
    assert not (root / "acme_hello" / "migrations").exists()
    for path in root.rglob("*.py"):
        compile(path.read_text(), str(path), "exec")
        assert "import kernel" not in path.read_text() and "from kernel" not in path.read_text()


def test_with_migrations_adds_a_branch_named_after_the_plugin(tmp_path):
    result = CliRunner().invoke(main, ["plugin", "new", "acme_notes", "--with-migrations", "--dir", str(tmp_path)])
    assert result.exit_code == 0, result.output
    [migration] = (tmp_path / "acme-notes" / "acme_notes" / "migrations").glob("acme_notes_0001*.py")
    text = migration.read_text()
    assert 'branch_labels = ("acme_notes",)' in text and 'depends_on = "kernel_0001"' in text
    assert 'enable_tenant_rls("acme_notes_notes")' in text


def test_bad_names_and_existing_folders_are_refused(tmp_path):
    runner = CliRunner()
    for bad in ("1abc", "has space", "kernel", "class"):
        result = runner.invoke(main, ["plugin", "new", bad, "--dir", str(tmp_path)])
        assert result.exit_code != 0 and "Error" in result.output, bad
    assert runner.invoke(main, ["plugin", "new", "twice", "--dir", str(tmp_path)]).exit_code == 0
    again = runner.invoke(main, ["plugin", "new", "twice", "--dir", str(tmp_path)])
    assert again.exit_code != 0 and "already exists" in again.output


def test_distribution_module_and_plugin_id_can_each_be_named(tmp_path):
    result = CliRunner().invoke(main, ["plugin", "new", "acme", "--distribution", "acme-post-de", "--module",
                                       "acme_de", "--plugin-id", "acme_post", "--dir", str(tmp_path)])
    assert result.exit_code == 0, result.output
    root = tmp_path / "acme-post-de"
    project = tomllib.loads((root / "pyproject.toml").read_text())
    assert project["project"]["name"] == "acme-post-de"
    assert project["project"]["entry-points"]["pycommerce.plugins"] == {"acme_post": "acme_de.plugin"}
    assert 'PLUGIN_ID = "acme_post"' in (root / "acme_de" / "plugin.py").read_text()
    assert 'return "acme_post"' in (root / "tests" / "conftest.py").read_text()
    assert "PYCOMMERCE_PLUGIN_ACME_POST_RATE" in (root / "acme_de" / "settings.py").read_text()
    bad = CliRunner().invoke(main, ["plugin", "new", "acme", "--module", "Not-A-Module", "--dir", str(tmp_path)])
    assert bad.exit_code != 0 and "module" in bad.output
