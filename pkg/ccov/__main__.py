import sys

from ccov.frontends.cli import main

sys.exit(main())
