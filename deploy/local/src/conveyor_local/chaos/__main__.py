import sys

from conveyor_local.chaos.runner import main

sys.exit(main())
