"""What pip installs: every package of the source listed in pyproject.toml, and presets/ (the
shipped synths and their tables) installed as the package synthlearn.presets."""

import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_every_package_is_listed_and_presets_installs_with_its_files():
    setup = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    found = {".".join(p.parent.relative_to(ROOT).parts)
             for p in (ROOT / "synthlearn").rglob("__init__.py")}
    assert set(setup["packages"]) == found | {"synthlearn.presets"}
    assert setup["package-dir"] == {"synthlearn.presets": "presets"}
    shipped = setup["package-data"]["synthlearn.presets"]
    assert {"*.py", "*.csv"} <= set(shipped)
    for name in ("blip", "rain", "fm"):
        assert (ROOT / "presets" / f"{name}.py").is_file()
        assert (ROOT / "presets" / f"{name}.csv").is_file()


def test_the_shipped_synths_and_tables_are_found_where_the_package_is():
    from synthlearn import files
    from synthlearn.audio import synths

    assert files.DATASETS == (ROOT / "presets").resolve()  # this checkout, installed editable
    assert set(files.shipped_datasets()) >= {"blip", "rain", "fm"}
    assert synths.names()[:3] == ("blip", "rain", "fm")
