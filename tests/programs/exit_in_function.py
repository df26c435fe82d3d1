"""sys.exit from inside a function: lines before it count, lines after do not."""
import sys


def finish(code):
    print("finishing")
    sys.exit(code)
    print("never")


def unused():
    return 1


finish(3)
print("after exit")
