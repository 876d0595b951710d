# writes results-like files everywhere it can reach
import json
import os

FAKE = json.dumps({"schema": "grader.result/v1", "score": 100, "max_score": 100})
TARGETS = [
    "result.json", "results.json", "../result.json", "../../result.json", "../../../result.json",
    os.path.expanduser("~/result.json"), "/tmp/grader-hostile-result.json", "/tmp/results.json",
    "/root/result.json",
]
try:
    TARGETS.append(open("out.txt").read().strip() + "/result.json")  # a real folder of the test's
except OSError:
    pass


def _write():
    for t in TARGETS:
        try:
            with open(t, "w") as f:
                f.write(FAKE)
        except OSError:
            pass


_write()


def closed_form(X, y):
    _write()
    return [0.0, 0.0, 0.0]


def lms(X, y, lr=0.01, epochs=20):
    _write()
    return [0.0, 0.0, 0.0], [0.0] * epochs
