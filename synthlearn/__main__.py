import sys

from synthlearn.cli import main

sys.exit(main())
