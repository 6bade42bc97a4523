"""`python -m dualstore.diagnose`: see the package's docstring."""

from dualstore.diagnose import main

raise SystemExit(main())
