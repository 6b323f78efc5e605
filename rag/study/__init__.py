"""Study packs for trainers: key points, key figures, discussion questions and a quiz, each
taken from whole source sentences and cited like answers, written out as Markdown or Word.

``pack`` builds a pack and numbers its sources; ``sentences`` scores the source sentences
every part picks from; ``figures``, ``quiz`` and ``discussion`` make those sections;
``export`` writes a pack out. Callers import from here.
"""

from rag.study.export import FORMATS, to_markdown, write_docx, write_pack
from rag.study.pack import KeyFigure, KeyPoint, StudyPack, build_study_pack
from rag.study.quiz import BLANK, QuizItem

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
