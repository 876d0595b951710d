"""What a rubric may say about reading write-ups (the ``writeup`` keys of the rubric).

The engine names no assignment, so everything a write-up reader needs to know about one
assignment's handout lives in its rubric:

- per question (``questions[].writeup``): headings that open its section besides those
  its id gives (``problem2.q2_1`` -> ``Q2.1``, ``2.1``, ``Problem 2.1``), the handout's own
  statement of the question (text and matrices repeating it are never answers), and the
  vocabulary of its choices with their synonyms (a choice is read only from these words);
- per assignment (``writeup``): the confidence below which an extracted value is not
  scored but sent to a TA, and titles that name a section (a course that numbers its labs
  as document sections, ``5 Lab: LMS Algorithm``, names Lab 1 by its title).

This module imports only pydantic: the rubric's model uses it.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

__all__ = ["DEFAULT_REVIEW_BELOW", "QuestionWriteup", "WriteupSettings"]

DEFAULT_REVIEW_BELOW = 0.9  # a value read from an unambiguous header and an unambiguous value is read at 0.9 or more


class QuestionWriteup(BaseModel):
    """How one question shows in a report."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    headings: list[str] = Field(default_factory=list, max_length=20, description=(
        "headings that open this question's section in a report, besides those its id gives"))
    statement: str | None = Field(None, max_length=20_000, description=(
        "the handout's statement of the question: text and matrices repeating it are never taken as answers"))
    choices: list[str] = Field(default_factory=list, max_length=100, description=(
        "the words a choice answer may be (right and wrong ones): anything else goes to review"))
    synonyms: dict[str, list[str]] = Field(default_factory=dict, description=(
        "choice -> other spellings read as that choice"))


class WriteupSettings(BaseModel):
    """How write-ups are read for this assignment."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    review_below: float = Field(DEFAULT_REVIEW_BELOW, ge=0.0, le=1.0, description=(
        "an extracted value read with a lower confidence is not scored: it waits for a TA to confirm it"))
    sections: dict[str, list[str]] = Field(default_factory=dict, description=(
        "section (the first part of question ids, e.g. lab1) -> titles that name it in a report "
        "('LMS' for a heading '5 Lab: LMS Algorithm')"))
