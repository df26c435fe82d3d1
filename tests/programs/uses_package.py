"""A main program that imports a package of its own."""
from sample_pkg import api
from sample_pkg.sub import deep

print(api.public(3), deep.walk([1, [2, 3]]))
