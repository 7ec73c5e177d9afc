import sys

from conveyor_local.audit.auditor import main

sys.exit(main())
