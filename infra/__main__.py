import sys

from infra.tooling.cli import main

sys.exit(main())
