import sys

from pytest_arbitrage.cli import main

sys.exit(main())
