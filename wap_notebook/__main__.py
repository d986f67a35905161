"""`python -m wap_notebook`: the command line (`wap_notebook.cli`)."""

import sys

from wap_notebook.cli.main import main

if __name__ == "__main__":
    sys.exit(main())
