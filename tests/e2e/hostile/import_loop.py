# lab1.py that never finishes importing
while True:
    pass
