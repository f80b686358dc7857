"""Allow ``python -m affectvlm``."""

import sys

from affectvlm.cli import main

sys.exit(main())
