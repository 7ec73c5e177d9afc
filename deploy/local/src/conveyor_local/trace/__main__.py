import sys

from conveyor_local.trace.cli import main

sys.exit(main())
