"""Build the instructor edition of the website into ``_build/instructor/html``.

    python book/build_instructor.py [SOURCE_DIR]

Same sources, configuration and table of contents as ``make book``, with the configuration value
``dlcourse_edition = "instructor"`` (see ``book/_ext/dlcourse_book.py``): each exercise shows the
master's reference solution in a collapsed toggle. Notebook outputs come from the default build's
execution cache (``_build/.jupyter_cache``), so notebooks already executed by ``make book`` are not
run again. Exits non-zero on any Sphinx warning, like ``make book``.
"""
from __future__ import annotations

import sys
from pathlib import Path

from jupyter_book.sphinx import build_sphinx


def main() -> int:
    root = Path(sys.argv[1] if len(sys.argv) > 1 else Path(__file__).resolve().parent.parent).resolve()
    out = root / "_build" / "instructor" / "html"
    print(f"building the instructor edition into {out}")
    status = build_sphinx(
        root, out,
        noconfig=True,
        path_config=str(root / "_config.yml"),
        confoverrides={
            "external_toc_path": (root / "_toc.yml").as_posix(),
            "dlcourse_edition": "instructor",
            "nb_execution_cache_path": str(root / "_build" / ".jupyter_cache"),
            "nitpicky": True,
            "latex_individualpages": False,
        },
        builder="html",
        warningiserror=True,
        keep_going=True,
    )
    if status != 0:
        print(f"instructor build failed: {status}", file=sys.stderr)
        return 1
    print(f"instructor edition: {out / 'index.html'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
