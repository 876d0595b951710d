"""The hidden data set, as the rubric's `{ref: hidden.DATA}` reads it: {file name: {variable: array}}."""

import json
from pathlib import Path

DATA = json.loads((Path(__file__).resolve().parent / "hidden.json").read_text())
