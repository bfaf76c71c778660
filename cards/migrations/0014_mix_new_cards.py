"""New cards already made keep the bank's order (topic by topic, kind by kind): reorder each
student's never-reviewed cards as new cards are now made (cards.core.queue.mixed_new_order,
seeded by the student, never two cards of one fact in a row). A new card's due date is its
place in that order, a second apart from its first new card's due date on. Reviewed cards are
not touched; going back leaves the order as it is (nothing to undo)."""

from datetime import timedelta

from django.db import migrations

from cards.core.queue import NewCard, fact_of, mixed_new_order


def mix(apps, schema_editor):
    Card = apps.get_model("cards", "Card")
    new_cards = Card.objects.filter(last_review__isnull=True)
    for user_id in new_cards.order_by().values_list("user_id", flat=True).distinct().iterator():
        cards = list(
            new_cards.filter(user_id=user_id)
            .select_related("question")
            .only("id", "due", "question__id", "question__topic_id", "question__kind", "question__passage_id")
            .order_by("due", "id")
        )
        start = cards[0].due
        order = mixed_new_order(
            [
                NewCard(
                    key=card,
                    topic=card.question.topic_id,
                    kind=card.question.kind,
                    fact=fact_of(question_id=card.question.id, passage_id=card.question.passage_id),
                )
                for card in cards
            ],
            seed=user_id,
        )
        for position, new in enumerate(order):
            new.key.due = start + timedelta(seconds=position)
        Card.objects.bulk_update(cards, ["due"], batch_size=1000)


class Migration(migrations.Migration):
    dependencies = [("cards", "0013_pending_import")]

    operations = [migrations.RunPython(mix, migrations.RunPython.noop)]
