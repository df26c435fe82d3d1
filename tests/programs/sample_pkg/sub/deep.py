def walk(items):
    total = 0
    for item in items:
        if isinstance(item, list):
            total += walk(item)
        else:
            total += item
    return total
