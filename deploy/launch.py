"""The file the Flex Template launcher runs (``FLEX_TEMPLATE_PYTHON_PY_FILE``).

The launcher executes this file as ``__main__``. Beam pickles DoFns by module reference, so nothing the
pipeline uses may live here: the job is the installed ``pipelines.events`` module (or, for the streaming
template, whose parameters name a ``--subscription``, ``pipelines.stream``) and this only calls it.
"""
import sys

if __name__ == "__main__":
    if any(arg == "--subscription" or arg.startswith("--subscription=") for arg in sys.argv[1:]):
        from pipelines.stream import main
    else:
        from pipelines.events import main
    sys.exit(main())
