"""The file the Flex Template launcher runs (``FLEX_TEMPLATE_PYTHON_PY_FILE``).

The launcher executes this file as ``__main__``. Beam pickles DoFns by module reference, so nothing the
pipeline uses may live here: the job is the installed ``pipelines.events`` module and this only calls it.
"""
import sys

from pipelines.events import main

if __name__ == "__main__":
    sys.exit(main())
