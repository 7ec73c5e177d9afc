import sys

from conveyor_local.bench_backends.cli import main

sys.exit(main())
