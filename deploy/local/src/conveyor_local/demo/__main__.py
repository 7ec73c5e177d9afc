import sys

from conveyor_local.demo.cli import main

sys.exit(main())
