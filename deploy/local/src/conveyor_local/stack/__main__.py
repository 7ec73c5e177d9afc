import sys

from conveyor_local.stack.cli import main

sys.exit(main())
