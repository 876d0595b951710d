# NaN, None, strings and wrong shapes
import numpy as np


def closed_form(X, y):
    if len(X) == 100:
        return np.array([np.nan, np.inf, -np.inf])
    if len(X) == 20:
        return None
    if len(X) == 500:
        return "w = [-1, 1, -2]"
    return np.zeros((8, 10))


def lms(X, y, lr=0.01, epochs=20):
    return np.zeros((3, 1, 1, 2)), "mse"
