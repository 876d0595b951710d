# tries to reach the network on the loopback
import socket


def _try():
    try:
        port = int(open("port.txt").read())  # the test's listener, written beside this file
    except (OSError, ValueError):
        port = 9
    for host in ("127.0.0.1", "localhost"):
        try:
            s = socket.create_connection((host, port or 9), timeout=1)
            s.sendall(b"escaped")
            s.close()
            return True
        except OSError:
            pass
    return False


def closed_form(X, y):
    ok = _try()
    return [1.0, 1.0, 1.0] if ok else [0.0, 0.0, 0.0]


def lms(X, y, lr=0.01, epochs=20):
    return [0.0, 0.0, 0.0], [0.0] * epochs
