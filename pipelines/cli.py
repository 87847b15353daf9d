"""The ``storybeam`` command: ``storybeam run ...``, ``storybeam evaluate ...`` and ``storybeam report ...``."""
from __future__ import annotations

import sys

USAGE = """usage: storybeam COMMAND [options]

commands:
  run        run the batch job: storybeam run --input GLOB [--input GLOB ...] --output DIR [options]
  stream     run the streaming job: storybeam stream --subscription projects/P/subscriptions/S --output DIR [options]
  evaluate   score the pipeline's stages on labelled data: storybeam evaluate [--eval_dir DIR] [--out DIR]
  report     one offline HTML page for a run's output: storybeam report OUTPUT [--date YYYY-MM-DD ...] [--html FILE]

'storybeam COMMAND --help' lists a command's options."""


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0] in ("-h", "--help"):
        print(USAGE)
        return 0 if argv else 2
    command, rest = argv[0], argv[1:]
    if command == "run":
        from pipelines import events

        if "--help" in rest or "-h" in rest:
            import argparse

            from pipelines.options import StorybeamOptions

            parser = argparse.ArgumentParser(
                prog="storybeam run", description="Run the batch job. Any Beam pipeline option may be added "
                "(--runner, --direct_num_workers, Dataflow worker options, ...).")
            StorybeamOptions._add_argparse_args(parser)  # noqa: SLF001 (Beam's way to declare options)
            parser.print_help()
            return 0
        return events.main(rest)
    if command == "stream":
        from pipelines import stream

        if "--help" in rest or "-h" in rest:
            import argparse

            from pipelines.options import StorybeamOptions

            parser = argparse.ArgumentParser(
                prog="storybeam stream", description="Run the streaming job (Pub/Sub in, windowed Parquet "
                "tables out) until stopped. Any Beam pipeline option may be added (--runner DataflowRunner "
                "--streaming and Dataflow worker options, ...). --input and --date are for batch runs.")
            stream.StreamOptions._add_argparse_args(parser)  # noqa: SLF001 (Beam's way to declare options)
            StorybeamOptions._add_argparse_args(parser)  # noqa: SLF001
            parser.print_help()
            return 0
        return stream.main(rest)
    if command == "report":
        from pipelines import report

        return report.main(rest)
    if command == "evaluate":
        from pipelines import evaluate

        return evaluate.main(rest)
    print(f"storybeam: error: unknown command {command!r}\n\n{USAGE}", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())
