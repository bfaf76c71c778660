"""The right answer to any question, as the study and quiz forms would send it."""

import uuid

from cards.core.grading import cloze_deletions


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


def api_answer(card: dict) -> dict:
    """An answer to the card of a `study/next` body (`body["card"]`), as an API client posts
    it: the first choice, Good for a flashcard, "GABA-B" typed. Right or wrong, it is an answer."""
    payload = {"card": card["id"], "review_id": str(uuid.uuid4()), "reps": card["reps"]}
    if card["kind"] == "flashcard":
        payload["rating"] = 3
    elif card["kind"] == "multiple":
        payload["choices"] = [card["choices"][0]["id"]]
    elif card["choices"]:
        payload["choice"] = card["choices"][0]["id"]
    else:
        payload["text"] = "GABA-B"
    return payload
