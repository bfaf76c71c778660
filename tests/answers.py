"""The right answer to any question, as the study and quiz forms would send it."""

from cards.grading import cloze_deletions


def right_answer(question, cloze: int = 0) -> dict:
    if question.kind == "flashcard":
        return {"rating": 3}
    if question.kind == "multiple":
        return {"choices": [c.pk for c in question.choices.filter(correct=True)]}
    if question.kind in ("single", "truefalse"):
        return {"choice": question.choices.get(correct=True).pk}
    if question.kind == "cloze":
        return {"text": cloze_deletions(question.prompt)[cloze or 1][0]}
    return {"text": question.answers[0]}


def card_answer(card) -> dict:
    return right_answer(card.question, card.cloze)
