"""The README's Layout section names every module and folder of the package."""
import re
from pathlib import Path

ROOT = Path(__file__).parents[1]


def test_the_readme_layout_names_every_module_and_folder():
    readme = (ROOT / "README.md").read_text()
    layout = readme.split("## Layout", 1)[1].split("```", 2)[1]
    named = set(re.findall(r"[\w]+(?:\.py|/)", layout))
    package = ROOT / "pytest_arbitrage"
    present = {p.name for p in package.glob("*.py") if p.name != "__main__.py"}
    present |= {p.name + "/" for p in package.iterdir() if p.is_dir() and not p.name.startswith("__")}
    assert present - named == set(), "modules missing from the README's Layout"
    anywhere = {p.name for folder in (package, ROOT / "benchmarks") for p in folder.rglob("*.py")}
    assert {n for n in named if n.endswith(".py")} - anywhere == set(), "names of files that do not exist"
