"""The `mlcsite` command: parse arguments, run the pipeline, map results to exit codes.

Exit status (SPEC): 0 success, 1 content errors, 2 misuse.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import signal
import sys
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator, NoReturn

from . import pipeline
from .build_cache import CACHE_DIR
from .incremental import RenderCache
from .report import FORMATS, format_diagnostics
from .signals import handling_stop_signals
from .writer import OutputWriteError

EXIT_OK, EXIT_CONTENT, EXIT_USAGE = 0, 1, 2


def _parse_now(text: str) -> dt.datetime:
    try:
        value = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date-time like 2026-11-27T12:00Z") from None
    return value if value.tzinfo else value.replace(tzinfo=dt.timezone.utc)


def _positive(text: str) -> int:
    if not text.strip().isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of processes like 1 or 2")
    return int(text)


def _jobs(args: argparse.Namespace) -> int | None:
    """--jobs, else MLCSITE_JOBS, else None (build: chosen from the work). Watch
    and serve run threads (file events, the web server), which a fork must not
    copy mid-lock: they render in one process unless told otherwise."""
    if getattr(args, "jobs", None) is not None:
        return args.jobs
    if os.environ.get("MLCSITE_JOBS", "").strip():
        try:
            return _positive(os.environ["MLCSITE_JOBS"])
        except argparse.ArgumentTypeError as problem:
            print(f"mlcsite: MLCSITE_JOBS: {problem}", file=sys.stderr)
            raise SystemExit(EXIT_USAGE) from None
    return None if args.command == "build" else 1


def _add_build_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--drafts", action="store_true", help="include posts marked draft: true")
    parser.add_argument("--base-url", metavar="URL", help="publish under this address (e.g. a PR preview)")
    parser.add_argument("--out", metavar="DIR", type=Path, help="write the site here (default: output/)")
    parser.add_argument("--now", metavar="DATETIME", type=_parse_now,
                        help="the build's clock for upcoming/past (default: SOURCE_DATE_EPOCH, else now)")
    parser.add_argument("--jobs", metavar="N", type=_positive,
                        help="render in N processes (default: $MLCSITE_JOBS, else from the work and the CPUs;"
                             " 1: never fork)")


def make_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="mlcsite", description="Build the ML Collective website.")
    parser.add_argument("-C", "--root", type=Path, default=Path("."), metavar="DIR",
                        help="the site's folder, holding site.yaml (default: here)")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    build = commands.add_parser("build", help="build the whole site into output/")
    _add_build_options(build)
    build.add_argument("--no-cache", action="store_true",
                       help=f"render every output again, ignoring what {CACHE_DIR}/ remembers")
    check = commands.add_parser("check", help="validate all content without writing anything")
    check.add_argument("--format", choices=FORMATS, default="text")
    check.add_argument("--drafts", action="store_true", help=argparse.SUPPRESS)
    for name, text in (("watch", "rebuild on every change"), ("serve", "build, serve and live-reload")):
        sub = commands.add_parser(name, help=text)
        _add_build_options(sub)
        if name == "serve":
            sub.add_argument("--host", default="127.0.0.1")
            sub.add_argument("--port", type=int, default=8000)
    _add_new_command(commands)
    diff = commands.add_parser("diff", help="what a change does to the site: compare two built outputs")
    diff.add_argument("old", type=Path, metavar="OLD_OUTPUT", help="the site built before the change")
    diff.add_argument("new", type=Path, metavar="NEW_OUTPUT", help="the site built after it")
    diff.add_argument("--format", choices=("text", "markdown"), default="text")
    return parser


def _add_new_command(commands) -> None:
    new = commands.add_parser("new", help="write a filled-in starter file",
                              description='e.g. mlcsite new member "Zoë Ødegård"; '
                                          "mlcsite new event --series dlct --author zoe-odegard")
    new.add_argument("kind", choices=("member", "project", "series", "event", "post", "page", "rfp"))
    new.add_argument("title", nargs="?", help="its title (or a member's name); the slug is made from it")
    new.add_argument("--slug", help="the slug, instead of one made from the title")
    new.add_argument("--date", help="YYYY-MM-DD (an event may add a time: \"YYYY-MM-DD HH:MM\")")
    new.add_argument("--series", metavar="SLUG", help="a new session of this series (events)")
    new.add_argument("--author", metavar="SLUG", action="append", default=[],
                     help="a member slug: authors, or an event's speakers; repeat for several")


def main(argv: list[str] | None = None) -> int:
    args = make_parser().parse_args(argv)
    root = args.root.resolve()
    if args.command == "new":
        return run_new(root, args)
    if args.command == "diff":
        return run_diff(args.old, args.new, args.format)
    options = pipeline.Options(root=root, out=getattr(args, "out", None), drafts=args.drafts,
                               base_url=getattr(args, "base_url", None), now=getattr(args, "now", None),
                               jobs=_jobs(args))
    if args.command == "check":
        return run_check(options, args.format)
    problem = pipeline.unsafe_output_dir(options)
    if problem:
        print(f"mlcsite: {problem}", file=sys.stderr)
        return EXIT_USAGE
    if args.command == "build":
        return run_build(options, use_cache=not args.no_cache)
    from .watcher import run_watch
    return run_watch(options, serve=args.command == "serve",
                     host=getattr(args, "host", None), port=getattr(args, "port", None))


def run_new(root: Path, args: argparse.Namespace) -> int:
    from .event_times import zone
    from .scaffold import Request, write_starter
    plan = pipeline.plan_site(pipeline.Options(root=root))  # members and series to check names against
    if plan.site is None:
        sys.stderr.write(format_diagnostics(plan.diagnostics, "text", root))
        print("mlcsite new: run it in the site's folder (the one with site.yaml), or give -C DIR.", file=sys.stderr)
        return EXIT_USAGE
    today = pipeline.build_clock(pipeline.Options(root=root)).astimezone(zone(plan.site.settings.timezone)).date()
    request = Request(args.kind, args.title, args.slug, args.date, args.series, tuple(args.author))
    return write_starter(root, request, plan.site, today)


def run_diff(old: Path, new: Path, fmt: str) -> int:
    from .changes import compare_outputs, format_report
    for folder in (old, new):
        if not folder.is_dir():
            print(f"mlcsite diff: {folder} is not a folder; give two built sites, e.g. "
                  "mlcsite diff /tmp/before output", file=sys.stderr)
            return EXIT_USAGE
    sys.stdout.write(format_report(compare_outputs(old, new), fmt))
    return EXIT_OK


def run_check(options: pipeline.Options, fmt: str) -> int:
    from .review import review_site  # only `check` reviews: a build need not import it
    plan = pipeline.plan_site(options)
    if plan.site is not None:  # warnings a reviewer would give; only `check` asks for them
        review_site(plan.site, options.root, plan.source_digests, plan.diagnostics)
    report = format_diagnostics(plan.diagnostics, fmt, options.root)
    sys.stdout.write(report)
    if fmt == "text" and not plan.diagnostics.has_errors():
        print(f"All content is valid ({len(plan.outputs)} outputs planned).")
    return EXIT_CONTENT if plan.diagnostics.has_errors() else EXIT_OK


def run_build(options: pipeline.Options, use_cache: bool = True) -> int:
    started = time.perf_counter()
    try:
        with _interrupted_by_signals():
            result = _build(options, use_cache)
    except BuildInterrupted as stop:
        # The staging folder went with the stack (output_update's `finally`).
        print(f"mlcsite: stopped by {stop.name}; {options.output_label} holds the last complete build.",
              file=sys.stderr)
        return 128 + stop.signum
    except OutputWriteError as exc:
        print(f"mlcsite: {exc}\nmlcsite: nothing was written; {options.output_label} holds the last complete build.",
              file=sys.stderr)
        return EXIT_CONTENT
    except OSError as exc:  # reading the site (or its cache) failed: said in words, never a traceback
        print(f"mlcsite: could not read or write {exc.filename or 'a file'}: {exc.strerror or exc}.",
              file=sys.stderr)
        return EXIT_CONTENT
    if result.diagnostics.items:
        sys.stderr.write(format_diagnostics(result.diagnostics, "text", options.root))
    if result.diagnostics.has_errors():
        print("mlcsite: nothing was written; the previous site is untouched.", file=sys.stderr)
        return EXIT_CONTENT
    seconds = time.perf_counter() - started
    print(f"Built {result.file_count} files into {options.output_label} in {seconds:.2f} s.")
    return EXIT_OK


def _build(options: pipeline.Options, use_cache: bool) -> pipeline.BuildResult:
    # --no-cache renders everything, and leaves a fresh cache for the next build.
    # The last build's manifest and record are 150,000 objects that live the whole
    # build: the collector scanned them again and again as they arrived.
    with pipeline.collector_paused():
        cache = RenderCache.persistent(options.root, options.output_dir, in_place=False)
    if not use_cache:
        cache.written, cache.reuse_rendered = {}, False
    return pipeline.build(options, cache)


class BuildInterrupted(BaseException):
    """SIGINT or SIGTERM during a build: unwinds the stack like Ctrl-C, so the
    staging folder is removed on the way out (issue 10, case 2)."""

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum, self.name = signum, signal.Signals(signum).name


@contextmanager
def _interrupted_by_signals() -> Iterator[None]:
    stopping = []

    def stop(signum, frame) -> None:
        if not stopping:  # a second signal must not cut the clean-up short
            stopping.append(signum)
            raise BuildInterrupted(signum)

    with handling_stop_signals(stop):
        yield


SWITCH_INTERVAL = 0.0005  # seconds a busy thread keeps the interpreter lock while another waits


def run() -> NoReturn:
    """The `mlcsite` command as a process: main(), then the process ends at once.
    A build leaves a million objects alive (the graph, the plan, the caches); the
    interpreter's teardown freed them one by one and collected their cycles, half
    a second of a one-post rebuild at 10,000 posts spent after the work was done,
    on memory the system takes back anyway. Nothing is left to finish: every
    file is closed and every helper process waited for by then."""
    # The search indexer's driver threads feed Pagefind's pipe and read its
    # answers while the build computes: each time one wakes, it waited for the
    # interpreter lock until the busy thread's 5 ms turn ended. A post's shard
    # (148 pages) took 1.13 s beside a busy thread instead of 0.74 s alone;
    # with 0.5 ms turns, 0.93 s (medians of 6).
    sys.setswitchinterval(SWITCH_INTERVAL)
    code = main()
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    finally:
        os._exit(code)


if __name__ == "__main__":  # pragma: no cover
    run()
