"""The file the streaming Flex Template's launcher runs (``FLEX_TEMPLATE_PYTHON_PY_FILE`` set at template
build time with ``--env``). Like ``launch.py``: nothing the pipeline uses may live here; it only calls the
installed ``pipelines.stream`` module, which submits the job and returns."""
import sys

from pipelines.stream import main

if __name__ == "__main__":
    sys.exit(main())
