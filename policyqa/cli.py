"""The `policyqa` command: parses arguments, wires settings to index/ and rag/, prints results.

Errors from below become one-line messages here and nowhere else.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")  # nothing may reach a model hub

from policyqa.settings import Settings  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    overrides = {"data_dir": args.data_dir} if args.data_dir else {}
    settings = Settings(**overrides)
    try:
        return args.run(args, settings)
    except KeyboardInterrupt:
        print("interrupted; finished files are kept, run again to resume", file=sys.stderr)
        return 130


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="policyqa", description="Cited answers over Chinese policy articles.")
    parser.add_argument("--data-dir", type=Path, help="index folder (default: $POLICYQA_DATA_DIR or .policyqa)")
    sub = parser.add_subparsers(required=True, metavar="COMMAND")

    ingest = sub.add_parser("ingest", help="index article files or folders")
    ingest.add_argument("paths", nargs="+", type=Path)
    ingest.add_argument("--prune", action="store_true", help="drop documents whose files are gone")
    ingest.add_argument("--json", action="store_true", help="print the report as JSON")
    ingest.add_argument("--if-empty", action="store_true", help="do nothing when the index holds chunks")
    ingest.set_defaults(run=_ingest)

    export = sub.add_parser("export", help="write every stored chunk as JSON Lines")
    export.add_argument("out", type=Path)
    export.set_defaults(run=_export)

    stats = sub.add_parser("stats", help="what the index holds")
    stats.add_argument("--json", action="store_true")
    stats.set_defaults(run=_stats)
    return parser


def _ingest(args: argparse.Namespace, settings: Settings) -> int:
    from index.service import open_index

    with open_index(settings) as idx:
        if args.if_empty and idx.store.count():
            print(f"index at {settings.data_dir} holds {idx.store.count()} chunks; not re-ingesting")
            return 0
        report = idx.ingest(args.paths, prune=args.prune, progress=sys.stderr.isatty() and not args.json)
    if args.json:
        print(json.dumps(report.to_dict(), ensure_ascii=False, indent=2))
    else:
        _print_report(report.to_dict())
    return 1 if report.failed and report.files == len(report.failed) else 0


def _print_report(report: dict) -> None:
    print(
        f"{report['files']} files ({report['files_unchanged']} unchanged), {report['documents']} documents "
        f"({report['duplicates']} near-copies), {report['chunks']} new chunks, {report['chunks_embedded']} embedded, "
        f"{report['chunks_removed']} removed, {report['pruned_files']} files pruned, {report['seconds']} s"
    )
    if report["cleaning"]:
        print("cleaning: " + ", ".join(f"{k} {v}" for k, v in report["cleaning"].items()))
    for warning in report["warnings"]:
        print(f"warning: {warning}")
    for failure in report["failed"]:
        print(f"failed: {failure['reason']}", file=sys.stderr)


def _export(args: argparse.Namespace, settings: Settings) -> int:
    from index.service import open_index

    with open_index(settings) as idx:
        rows = idx.export_rows()
    args.out.parent.mkdir(parents=True, exist_ok=True)
    with args.out.open("w", encoding="utf-8") as out:
        for row in rows:
            out.write(json.dumps(row, ensure_ascii=False) + "\n")
    print(f"{len(rows)} chunks written to {args.out}")
    return 0


def _stats(args: argparse.Namespace, settings: Settings) -> int:
    from index.service import open_index

    with open_index(settings) as idx:
        stats = idx.stats()
    if args.json:
        print(json.dumps(stats, ensure_ascii=False, indent=2))
    else:
        for key, value in stats.items():
            print(f"{key}: {value}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
