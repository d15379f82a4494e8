import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
README = ROOT / "README.md"


# Pages other engineers write in parallel: the lead drops this once all are in.
def _links(path: Path) -> list[str]:
    targets = re.findall(r"\]\(([^)#\s]+)(?:#[^)]*)?\)", path.read_text())
    return [t for t in targets if not re.match(r"[a-z]+:", t)]


def test_readme_is_short_and_starts_with_the_two_commands():
    """The README stays under 250 lines with `make run` and `make test` up top."""
    lines = README.read_text().splitlines()
    assert len(lines) < 250
    first_screen = "\n".join(lines[:30])
    assert "make run" in first_screen and "make test" in first_screen


def test_every_link_of_the_readme_and_docs_leads_to_a_file():
    """Relative links in README.md and docs/ name files that exist."""
    broken = []
    for page in [README, *sorted((ROOT / "docs").glob("*.md"))]:
        for target in _links(page):
            if not (page.parent / target).resolve().exists():
                broken.append(f"{page.name} -> {target}")
    assert broken == []
