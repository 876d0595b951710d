"""The notebook tests import their helpers (nbfixtures) from this folder."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
