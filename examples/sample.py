#!/usr/bin/env python3
# A small file for linecount.py to count.

def greet(name):
    # Say hello.
    return f"hello {name}"


print(greet("world"))
