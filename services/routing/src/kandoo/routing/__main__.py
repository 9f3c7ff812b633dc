"""`python -m kandoo.routing` runs the service (as `kandoo-routing run`)."""

import sys

from kandoo.routing.entrypoints.cli import main

if __name__ == "__main__":
    sys.exit(main(sys.argv[1:] or ["run"]))
