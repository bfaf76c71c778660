from django.apps import AppConfig


class CardsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "cards"
    verbose_name = "Quizzes and flashcards"

    def ready(self):
        from cards.accounts import signals

        signals.connect()
