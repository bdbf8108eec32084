"""python3 scripts/check_bot: run the checker (see cli.py)."""

import sys
from pathlib import Path

# Python put this folder first on sys.path; the checker imports as a package from scripts/.
sys.path[0] = str(Path(__file__).resolve().parent.parent)

from check_bot.cli import main  # noqa: E402

sys.exit(main())
