def never_imported():
    return "nobody imports this"
