import threading


def add(a, b):
    return a + b


def divide(a, b):
    if b == 0:
        raise ZeroDivisionError("b must not be zero")
    return a / b


def in_thread(value):
    box = []

    def work():
        box.append(value * 2)

    thread = threading.Thread(target=work)
    thread.start()
    thread.join()
    return box[0]


def untested(x):
    if x > 0:
        return "positive"
    return "other"
