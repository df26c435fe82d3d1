import sys

from ccov.cli import main

sys.exit(main())
