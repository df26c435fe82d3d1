def public(x):
    if x > 2:
        return helper(x) * 2
    return 0


def helper(x):
    return x + 1


def unused():
    return "unused"
