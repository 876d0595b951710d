# floods 2 GB of output
import sys

chunk = "x" * (1 << 20) + "\n"


def closed_form(X, y):
    for _ in range(2048):
        sys.stdout.write(chunk)
    return [0.0, 0.0, 0.0]


def lms(X, y, lr=0.01, epochs=20):
    for _ in range(2048):
        sys.stderr.write(chunk)
    return [0.0, 0.0, 0.0], [0.0] * epochs
