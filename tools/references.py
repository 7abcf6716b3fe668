"""Citations and each chapter's reference list, from ``references.bib``.

    python tools/references.py            # rewrite the "## References" cell of every master
    python tools/references.py --check    # fail when a master's list is out of date

Prose cites in plain text, author and year: "(LeCun et al., 1998)" or "LeCun et al. (1998)".
Plain text reads the same on the website, in JupyterLab, on GitHub and in Colab, where citation
roles of one renderer show up as raw markup in the others. The References cell of a master is
generated: every entry of ``references.bib`` whose citation appears in the chapter's prose.
"""
from __future__ import annotations

import argparse
import json
import re
import sys
from dataclasses import dataclass
from pathlib import Path

import latexcodec  # noqa: F401  (registers the "latex" codec)
from pybtex.database import parse_file

ROOT = Path(__file__).resolve().parent.parent
BIB = ROOT / "references.bib"
HEADING = "## References"


def _latex(text: str) -> str:
    """``L{\\'e}on`` -> ``Léon``; braces that protect capitals are dropped."""
    return text.encode("utf-8").decode("latex").replace("{", "").replace("}", "").replace("--", "–")


@dataclass(frozen=True)
class Reference:
    key: str
    label: str        # "LeCun et al."
    year: str
    entry: str        # the formatted list item, without the leading "- "

    def cited_in(self, text: str) -> bool:
        """True when ``text`` cites this work as "Label, Year" or "Label (Year)"."""
        label, year = re.escape(self.label), re.escape(self.year)
        return re.search(rf"{label},? {year}\b|{label} \({year}\)", text) is not None


def _names(persons) -> list[tuple[str, str]]:
    """(initials, last name) of each author."""
    out = []
    for p in persons:
        first = " ".join(_latex(n)[0] + "." for n in p.first_names + p.middle_names if n)
        last = _latex(" ".join(p.prelast_names + p.last_names))
        out.append((first, last))
    return out


def _format(key: str, entry) -> Reference:
    names = _names(entry.persons["author"])
    lasts = [last for _, last in names]
    label = lasts[0] if len(lasts) == 1 else (" and ".join(lasts) if len(lasts) == 2
                                               else f"{lasts[0]} et al.")
    authors = [f"{first} {last}".strip() for first, last in names]
    author_text = authors[0] if len(authors) == 1 else ", ".join(authors[:-1]) + " and " + authors[-1]
    f = {k: _latex(v) for k, v in entry.fields.items()}
    venue = f.get("journal") or f.get("booktitle") or f.get("howpublished") or f.get("publisher", "")
    details = ""
    if f.get("volume"):
        details += f" {f['volume']}" + (f"({f['number']})" if f.get("number") else "")
    if f.get("pages"):
        details += f", {f['pages']}"
    text = f"{author_text} ({f['year']}). {f['title']}. *{venue}*{details}."
    if f.get("url"):
        text += f" <{entry.fields['url']}>"
    return Reference(key, label, f["year"], text)


def bibliography(path: Path = BIB) -> list[Reference]:
    """Every entry of the bib file, formatted."""
    data = parse_file(str(path), bib_format="bibtex")
    return [_format(key, entry) for key, entry in data.entries.items()]


def prose(nb: dict) -> str:
    """The chapter's markdown, without its References cell."""
    return "\n".join("".join(c["source"]) for c in nb["cells"]
                     if c["cell_type"] == "markdown" and not "".join(c["source"]).startswith(HEADING))


def references_cell(nb: dict, refs: list[Reference]) -> str:
    """The References cell a chapter should have."""
    text = prose(nb)
    cited = sorted((r for r in refs if r.cited_in(text)), key=lambda r: (r.label, r.year, r.key))
    items = "\n".join(f"- {r.entry}" for r in cited)
    return f"{HEADING}\n\n{items}" if cited else HEADING


def update(path: Path, refs: list[Reference], write: bool) -> bool:
    """Bring one master's References cell up to date; True when it already was."""
    nb = json.loads(path.read_text())
    cells = [c for c in nb["cells"] if c["cell_type"] == "markdown"
             and "".join(c["source"]).startswith(HEADING)]
    if len(cells) != 1:
        raise SystemExit(f"{path}: expected one markdown cell starting with {HEADING!r}")
    wanted = references_cell(nb, refs)
    if "".join(cells[0]["source"]) == wanted:
        return True
    if write:
        cells[0]["source"] = wanted.splitlines(keepends=True)
        path.write_text(json.dumps(nb, indent=1, ensure_ascii=False) + "\n")
    return False


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="fail when a list is out of date")
    args = parser.parse_args(argv)
    refs = bibliography()
    stale = [p.name for p in sorted((ROOT / "solutions").glob("[0-9][0-9]_*.ipynb"))
             if not update(p, refs, write=not args.check)]
    if args.check and stale:
        print(f"reference lists out of date in {', '.join(stale)}: run python tools/references.py",
              file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
