"""Passages as students read them (issue 17 #20, #26): a quote widened to whole sentences, a
passage named by its heading and paragraph, a question's text as one short line."""

from cards.core.passages import passage_label, quote_in_sentences
from cards.core.rendering import plain_line

TEXT = "Oral formulations are common, while intrathecal baclofen is reserved for some. It is used in MS. Pumps."


def test_a_quote_cut_mid_sentence_is_widened_to_its_sentence():
    assert quote_in_sentences(TEXT, "while intrathecal baclofen is reserved") == (
        "Oral formulations are common, while intrathecal baclofen is reserved for some."
    )


def test_a_quote_across_two_sentences_keeps_both_whole():
    assert quote_in_sentences(TEXT, "for some. It is used") == (
        "Oral formulations are common, while intrathecal baclofen is reserved for some. It is used in MS."
    )


def test_a_whole_sentence_stays_as_it_is_and_case_does_not_matter():
    assert quote_in_sentences(TEXT, "It is used in MS.") == "It is used in MS."
    assert quote_in_sentences(TEXT, "it is USED") == "It is used in MS."


def test_a_quote_the_passage_no_longer_holds_is_shown_as_written():
    assert quote_in_sentences(TEXT, "something else") == "something else"
    assert quote_in_sentences("", "a quote") == "a quote"
    assert quote_in_sentences(TEXT, "") == ""


def test_a_passage_is_named_by_its_heading_and_paragraph():
    assert passage_label("approved-medical-applications-1", "Approved medical applications") == (
        "Approved medical applications, paragraph 1"
    )
    assert passage_label("mechanism-2-s3", "## Mechanism") == "Mechanism, paragraph 2, sentence 3"
    assert passage_label("introduction-1", "") == "Introduction, paragraph 1"


def test_plain_line_drops_markdown_marks_and_cuts_at_a_word():
    assert plain_line("Which *receptor* does `baclofen` activate?") == "Which receptor does baclofen activate?"
    cut = plain_line("word " * 40, limit=30)
    assert cut.endswith("…") and len(cut) <= 30 and not cut[:-1].endswith(" ")
