def lonely():
    return "nobody imports me"
