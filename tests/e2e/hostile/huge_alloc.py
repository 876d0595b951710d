# a 64 GiB allocation at import
import numpy as np

BIG = np.ones(8 * 2**30)


def closed_form(X, y):
    return BIG[:3]


def lms(X, y, lr=0.01, epochs=20):
    return BIG[:3], BIG[:epochs]
