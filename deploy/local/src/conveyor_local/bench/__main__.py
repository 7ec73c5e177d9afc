import sys

from conveyor_local.bench.cli import main

sys.exit(main())
