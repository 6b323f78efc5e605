"""The `policyqa` command: parses arguments, wires settings to index/ and rag/, prints results.

Errors from below become one-line messages here and nowhere else.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")  # nothing may reach a model hub

from core.errors import PolicyQAError  # noqa: E402
from core.settings import Settings  # noqa: E402

def main(argv: list[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    overrides = {"data_dir": args.data_dir} if args.data_dir else {}
    settings = Settings(**overrides)
    _prepare_libraries(settings, args.verbose)
    try:
        return args.run(args, settings)
    except KeyboardInterrupt:
        print("interrupted; finished files are kept, run again to resume", file=sys.stderr)
        return 130
    except PolicyQAError as err:
        print(f"{args.command}: {err}", file=sys.stderr)
        return err.exit_code
    except (OSError, ValueError) as err:  # bad input: a missing or malformed file, an unknown set
        print(f"{args.command}: {err}", file=sys.stderr)
        return 2


def _prepare_libraries(settings: Settings, verbose: bool) -> None:
    """Quiet unless --verbose: no weight-loading bars, no jieba chatter; jieba caches its
    dictionary in the data directory, which outlives a cleared /tmp."""
    if not verbose:
        os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")  # read when transformers is imported
    import jieba

    settings.data_dir.mkdir(parents=True, exist_ok=True)
    jieba.dt.tmp_dir = str(settings.data_dir)
    jieba.setLogLevel(logging.DEBUG if verbose else logging.WARNING)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="policyqa", description="Cited answers over Chinese policy articles.")
    parser.add_argument("--data-dir", type=Path, help="index folder (default: $POLICYQA_DATA_DIR or .policyqa)")
    parser.add_argument("--verbose", action="store_true", help="show model-loading progress and library messages")
    sub = parser.add_subparsers(required=True, metavar="COMMAND", dest="command")

    ingest = sub.add_parser("ingest", help="index article files or folders")
    ingest.add_argument("paths", nargs="+", type=Path)
    ingest.add_argument("--prune", action="store_true", help="drop documents whose files are gone")
    ingest.add_argument("--json", action="store_true", help="print the report as JSON")
    ingest.add_argument("--if-empty", action="store_true", help="do nothing when the index holds chunks")
    ingest.add_argument("--strict", action="store_true", help="exit 1 when any file failed or had to be repaired")
    ingest.add_argument("--quiet", action="store_true", help="no progress bar (it shows only on a terminal anyway)")
    ingest.set_defaults(run=_ingest)

    export = sub.add_parser("export", help="write every stored chunk as JSON Lines")
    export.add_argument("out", type=Path)
    export.set_defaults(run=_export)

    backup = sub.add_parser("backup", help="write the whole library (catalog, chunks, vectors, uploads) to one archive")
    backup.add_argument("out", type=Path, help="the archive to write, e.g. library.policyqa.zip")
    backup.set_defaults(run=_backup)

    restore = sub.add_parser("restore", help="put a library back from a backup archive (no re-embedding)")
    restore.add_argument("archive", type=Path)
    restore.add_argument("--force", action="store_true", help="replace a library that is not empty")
    restore.set_defaults(run=_restore)

    ask = sub.add_parser("ask", help="answer a question with cited sources")
    ask.add_argument("question")
    ask.add_argument("--json", action="store_true")
    ask.add_argument("--top-k", type=int, help="passages to retrieve (default: settings.top_k)")
    ask.add_argument("--backend", choices=["extractive", "openai"])
    ask.set_defaults(run=_ask)

    serve = sub.add_parser("serve", help="serve the web UI (chat, study packs, library)")
    serve.add_argument("--host", default="127.0.0.1", help="default: 127.0.0.1 (0.0.0.0 to serve the network)")
    serve.add_argument("--port", type=int, default=7860, help="default: 7860")
    serve.set_defaults(run=_serve)

    stats = sub.add_parser("stats", help="what the index holds")
    stats.add_argument("--json", action="store_true")
    stats.set_defaults(run=_stats)

    study = sub.add_parser("study", help="a study pack for trainers: key points, figures, discussion, quiz")
    study.add_argument("topic", nargs="?", default="", help="free text; may be left out when --doc is given")
    study.add_argument(
        "--doc", dest="docs", action="append", default=[], metavar="DOC_ID", help="an article to use (repeatable)"
    )
    study.add_argument("--out", type=Path, required=True, help="pack.docx or pack.md")
    study.add_argument("--top-k", type=int, default=12, help="passages to retrieve for the topic (default: 12)")
    study.add_argument("--backend", choices=["extractive", "openai"], help="openai: an LLM writes the discussion")
    study.set_defaults(run=_study)

    evaluate = sub.add_parser("eval", help="answer a question set and score it: results, report, chart")
    evaluate.add_argument("dataset", type=Path, help="questions, JSON Lines (id, question, answers, doc_ids)")
    evaluate.add_argument("--docs", type=Path, help="documents (JSON Lines or folder) for a collection of their own")
    evaluate.add_argument("--out", type=Path, help="output folder (default: eval/runs/<dataset stem>)")
    evaluate.add_argument("--backend", choices=["extractive", "openai"])
    evaluate.add_argument("--retriever", choices=["hybrid", "bm25", "dense"])
    evaluate.add_argument("--limit", type=int, help="only the first N questions")
    evaluate.set_defaults(run=_eval)

    bench = sub.add_parser("eval-bench", help="every benchmark set with every retriever, one table")
    bench.add_argument("--sets", type=_names, default="seeds,ncpqa,crud,cmrc", help="default: seeds,ncpqa,crud,cmrc")
    bench.add_argument("--retrievers", type=_names, default="bm25,dense,hybrid", help="default: bm25,dense,hybrid")
    bench.add_argument("--out", type=Path, help="output folder (default: eval/runs/bench)")
    bench.add_argument("--limit", type=int, help="only the first N questions of each set (documents stay)")
    bench.add_argument("--benchmarks", type=Path, help="the shared benchmark folder (default: ../shared/benchmarks)")
    bench.set_defaults(run=_eval_bench)

    tune = sub.add_parser("eval-tune", help="score fusion settings on tuning questions CI never asks")
    tune.add_argument("--sets", type=_names, default="ncpqa,crud", help="default: ncpqa,crud")
    tune.add_argument("--out", type=Path, help="output folder (default: eval/runs/tune)")
    tune.add_argument("--benchmarks", type=Path, help="the shared benchmark folder (default: ../shared/benchmarks)")
    tune.set_defaults(run=_eval_tune)

    rerank = sub.add_parser("eval-rerank", help="would the answerability model rerank better than BM25 alone?")
    rerank.add_argument("--sets", type=_names, default="ncpqa,crud", help="default: ncpqa,crud")
    rerank.add_argument("--out", type=Path, help="output folder (default: eval/runs/rerank)")
    rerank.add_argument("--benchmarks", type=Path, help="the shared benchmark folder (default: ../shared/benchmarks)")
    rerank.set_defaults(run=_eval_rerank)

    fit = sub.add_parser("fit-evidence", help="fit the answerability model on questions CI never asks")
    fit.add_argument("--sets", type=_names, default="cmrc,drcd,ncpqa,crud", help="default: cmrc,drcd,ncpqa,crud")
    fit.add_argument("--out", type=Path, help="model JSON (default: settings.answerability_model)")
    fit.add_argument("--benchmarks", type=Path, help="the shared benchmark folder (default: ../shared/benchmarks)")
    fit.set_defaults(run=_fit_evidence)

    gate = sub.add_parser("eval-gate", help="fail when a report's metrics are below their thresholds")
    gate.add_argument("report", type=Path, help="report.json of eval-bench (or of eval)")
    gate.add_argument("--thresholds", type=Path, help="default: eval/thresholds.toml")
    gate.set_defaults(run=_eval_gate)
    return parser


def _names(text: str) -> list[str]:
    return [name.strip() for name in text.split(",") if name.strip()]


def _ingest(args: argparse.Namespace, settings: Settings) -> int:
    from index.service import open_index

    with open_index(settings) as idx:
        if args.if_empty and idx.store.count():
            print(f"index at {settings.data_dir} holds {idx.store.count()} chunks; not re-ingesting")
            return 0
        report = idx.ingest(args.paths, prune=args.prune, progress=sys.stderr.isatty() and not (args.json or args.quiet))
    if args.json:
        print(json.dumps(report.to_dict(), ensure_ascii=False, indent=2))
    else:
        _print_report(report.to_dict())
    return _ingest_status(report, args.strict)


def _ingest_status(report, strict: bool) -> int:
    """0, or 1 when every file failed; with --strict, 1 when any file failed or was repaired."""
    if strict and (report.failed or report.repaired):
        return 1
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
    for verdict in ("failed", "repaired"):
        for entry in report[verdict]:
            print(f"{verdict}: {entry['reason']}; kept {entry['kept']}", file=sys.stderr)


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


def _backup(args: argparse.Namespace, settings: Settings) -> int:
    from index.service import open_index

    with open_index(settings) as idx:
        summary = idx.backup(args.out)
    print(f"{summary.describe()} -> {args.out}")
    return 0


def _restore(args: argparse.Namespace, settings: Settings) -> int:
    from index.service import open_index

    with open_index(settings) as idx:
        summary = idx.restore(args.archive, force=args.force)
    print(f"{summary.describe()} restored into {settings.data_dir} from {args.archive}")
    return 0


def _ask(args: argparse.Namespace, settings: Settings) -> int:
    from policyqa.factory import open_assistant

    with open_assistant(settings, args.backend) as (_, chain):
        answer = chain.ask(args.question, k=args.top_k)
    if args.json:
        print(json.dumps(answer.to_dict(), ensure_ascii=False, indent=2))
    else:
        _print_answer(answer)
    return 0


def _print_answer(answer) -> None:
    from webui.render import provenance_label

    print(answer.answer)
    for c in answer.shown:
        where = f" {provenance_label(c.provenance)}" if c.provenance else ""
        print(f"\n[{c.n}] 《{c.title}》 {c.date or '日期不详'} {c.source or ''}{where}\n    {c.quote or c.text}")
    for warning in answer.warnings:
        print(f"warning: {warning}", file=sys.stderr)


def _study(args: argparse.Namespace, settings: Settings) -> int:
    from index.service import open_index
    from policyqa.factory import build_retriever, build_study_llm, require_content
    from rag.study import FORMATS, build_study_pack, write_pack

    if not args.topic.strip() and not args.docs:
        print("study: give a topic, or articles with --doc", file=sys.stderr)
        return 2
    if args.out.suffix.lower() not in FORMATS:
        print(f"study: --out must end in {' or '.join(FORMATS)}, not {args.out.name!r}", file=sys.stderr)
        return 2
    llm = build_study_llm(settings, args.backend)
    with open_index(settings) as idx:
        require_content(idx)
        retriever = build_retriever(settings, idx.store)
        pack = build_study_pack(args.topic, retriever, idx.store, settings.prompts_dir, args.docs, args.top_k, llm)
    if not pack.sources:
        print("study: the index holds nothing on this topic or these articles", file=sys.stderr)
        return 1
    write_pack(pack, args.out, settings.prompts_dir)
    print(
        f"{len(pack.key_points)} key points, {len(pack.figures)} figures, {len(pack.discussion)} discussion questions, "
        f"{len(pack.quiz)} quiz items from {len(pack.sources)} sources -> {args.out}"
    )
    for warning in pack.warnings:
        print(f"warning: {warning}", file=sys.stderr)
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


def _serve(args: argparse.Namespace, settings: Settings) -> int:
    from app import launch

    launch(settings, args.host, args.port)
    return 0


def _eval(args: argparse.Namespace, settings: Settings) -> int:
    from eval.evaluate import default_out, run_eval

    out = args.out or default_out(args.dataset)
    report = run_eval(args.dataset, settings, out, args.docs, args.retriever, args.backend, args.limit)
    print(f"{report['questions']} questions, {report['retriever']}/{report['backend']}, {report['seconds']} s -> {out}")
    for name, value in report["metrics"].items():
        print(f"{name}: {value}")
    return 0


def _eval_bench(args: argparse.Namespace, settings: Settings) -> int:
    from eval.bench import DEFAULT_OUT, run_bench
    from eval.paths import SHARED_BENCHMARKS

    out = args.out or DEFAULT_OUT
    shared = args.benchmarks or SHARED_BENCHMARKS
    report = run_bench(settings, args.sets, args.retrievers, out, shared, args.limit)
    print((out / "report.md").read_text(encoding="utf-8"))
    print(f"{len(report['runs'])} runs in {report['seconds']} s -> {out}")
    return 0


def _eval_tune(args: argparse.Namespace, settings: Settings) -> int:
    from eval.paths import SHARED_BENCHMARKS
    from eval.tune import DEFAULT_OUT, run_tune

    out = args.out or DEFAULT_OUT
    report = run_tune(settings, args.sets, out, args.benchmarks or SHARED_BENCHMARKS)
    print((out / "tune.md").read_text(encoding="utf-8"))
    print(f"chosen: {report['chosen']}; configured: {report['configured']} -> {out}")
    return 0


def _eval_rerank(args: argparse.Namespace, settings: Settings) -> int:
    from eval.paths import SHARED_BENCHMARKS
    from eval.rerank import DEFAULT_OUT, run_rerank

    out = args.out or DEFAULT_OUT
    run_rerank(settings, args.sets, out, args.benchmarks or SHARED_BENCHMARKS)
    print((out / "rerank.md").read_text(encoding="utf-8"), end="")
    return 0


def _fit_evidence(args: argparse.Namespace, settings: Settings) -> int:
    from eval.fit_evidence import run_fit
    from eval.paths import SHARED_BENCHMARKS

    out = args.out or settings.answerability_model
    report = run_fit(settings, args.sets, out, args.benchmarks or SHARED_BENCHMARKS, progress=sys.stderr.isatty())
    print(out.with_suffix(".md").read_text(encoding="utf-8"))
    print(f"{report['seconds']['total']} s -> {out}")
    return 0


def _eval_gate(args: argparse.Namespace, settings: Settings) -> int:
    from eval.gate import check, load_thresholds, table
    from eval.paths import THRESHOLDS

    report = json.loads(args.report.read_text(encoding="utf-8"))
    checks = check(report, load_thresholds(args.thresholds or THRESHOLDS))
    print(table(checks))
    failed = [c for c in checks if not c.passed]
    for c in failed:
        print(f"below threshold: {c.describe()}", file=sys.stderr)
    print(f"{len(checks) - len(failed)}/{len(checks)} thresholds met")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
