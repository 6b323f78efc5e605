"""Study packs for trainers: key points, key figures, discussion questions and a quiz, each
taken from whole source sentences and cited like answers, and the pack written out as
Markdown or Word."""

from rag.study.export import FORMATS, to_markdown, write_docx, write_pack
from rag.study.pack import BLANK, KeyFigure, KeyPoint, QuizItem, StudyPack, build_study_pack

__all__ = [
    "BLANK",
    "FORMATS",
    "KeyFigure",
    "KeyPoint",
    "QuizItem",
    "StudyPack",
    "build_study_pack",
    "to_markdown",
    "write_docx",
    "write_pack",
]
